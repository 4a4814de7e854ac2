import { normalizeModuleName } from "./module-name.ts";

/** One `alias PATTERN MODULE` line of modules.alias. */
export interface ModuleAlias {
  /** A shell-style pattern (`*`, `?`, `[…]`) matched against a device's modalias. */
  pattern: string;
  /** The module's name, normalised. */
  module: string;
}

/**
 * Parses a kernel's modules.alias: the patterns under which the kernel and udev ask for a module
 * (`virtio:d00000002v*` → virtio_blk, `fs-squashfs` → squashfs). Lines that are not aliases
 * (comments, blanks) are skipped, as modprobe skips them.
 */
export function parseModulesAlias(text: string): ModuleAlias[] {
  const aliases: ModuleAlias[] = [];
  for (const line of text.split("\n")) {
    const words = line.trim().split(/\s+/);
    if (words.length === 3 && words[0] === "alias") {
      aliases.push({ pattern: words[1]!, module: normalizeModuleName(words[2]!) });
    }
  }
  return aliases;
}

/**
 * Whether `value` (a modalias such as `virtio:d00000002v00001AF4`) matches an alias pattern, as
 * fnmatch(3) without flags does it, which is what modprobe uses: `*` any run, `?` one character,
 * `[abc]`, `[a-z]` and `[!…]` one of (or none of) a set. Matching is linear in practice (one
 * backtrack point, at the last `*`), so a long modalias against many patterns stays cheap.
 */
export function matchesAliasPattern(pattern: string, value: string): boolean {
  let p = 0;
  let v = 0;
  let starP = -1;
  let starV = 0;
  while (v < value.length) {
    if (p < pattern.length && pattern[p] === "*") {
      starP = p++;
      starV = v;
      continue;
    }
    if (p < pattern.length) {
      const step = matchOne(pattern, p, value[v]!);
      if (step > 0) {
        p += step;
        v++;
        continue;
      }
    }
    if (starP === -1) return false;
    p = starP + 1;
    v = ++starV;
  }
  while (p < pattern.length && pattern[p] === "*") p++;
  return p === pattern.length;
}

/** How many pattern characters matched `c` at `p` (0: no match). */
function matchOne(pattern: string, p: number, c: string): number {
  const head = pattern[p]!;
  if (head === "?") return 1;
  if (head !== "[") return head === c ? 1 : 0;
  let i = p + 1;
  const negate = pattern[i] === "!" || pattern[i] === "^";
  if (negate) i++;
  let matched = false;
  // A `]` right after the opening bracket is a member, as in fnmatch.
  for (let first = true; i < pattern.length && (first || pattern[i] !== "]"); first = false) {
    const low = pattern[i]!;
    if (pattern[i + 1] === "-" && i + 2 < pattern.length && pattern[i + 2] !== "]") {
      if (c >= low && c <= pattern[i + 2]!) matched = true;
      i += 3;
    } else {
      if (c === low) matched = true;
      i++;
    }
  }
  // An unterminated bracket is an ordinary character, as fnmatch treats it.
  if (i >= pattern.length) return c === "[" ? 1 : 0;
  return matched !== negate ? i + 1 - p : 0;
}
