/**
 * The words of the kernel command line (`/proc/cmdline`) as a map: `key=value` → value, a bare
 * `key` → "" . Double quotes group a value with spaces (`a="b c"`), as the kernel's own parser
 * allows. The init reads /proc/cmdline rather than its environment because the kernel hands
 * words with a dot (`stele.root=…`) to modules, never to init.
 */
export function parseKernelCmdline(text: string): Map<string, string> {
  const words = new Map<string, string>();
  for (const match of text.trim().matchAll(/(?:[^\s"]+|"[^"]*")+/g)) {
    const word = match[0];
    const eq = word.indexOf("=");
    const key = (eq === -1 ? word : word.slice(0, eq)).replaceAll('"', "");
    const value = eq === -1 ? "" : word.slice(eq + 1).replaceAll('"', "");
    words.set(key, value);
  }
  return words;
}
