/** A SHA-256 fingerprint as apid prints it: 32 upper-case hex bytes joined by colons. */
const FINGERPRINT = /\b([0-9A-F]{2}(?::[0-9A-F]{2}){31})\b/;

/**
 * The API certificate fingerprint of a node in maintenance mode, from apid's log lines (newest
 * last): apid makes a fresh self-signed certificate at every start and logs its fingerprint once,
 * as `{"fingerprint":"AB:…","msg":"maintenance mode: API certificate fingerprint SHA256 AB:…"}`.
 * The newest line wins, since an apid that restarted serves a new certificate. Undefined when no
 * line says it (apid not up yet, or its log rotated past the line).
 */
export function apiFingerprintFromLog(lines: readonly string[]): string | undefined {
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    const line = lines[i] ?? "";
    if (!line.includes("fingerprint")) continue;
    try {
      const parsed: unknown = JSON.parse(line);
      const value = (parsed as { fingerprint?: unknown }).fingerprint;
      if (typeof value === "string" && FINGERPRINT.test(value)) return value;
    } catch {
      // a plain-text line: read it as text below
    }
    const match = FINGERPRINT.exec(line);
    if (match) return match[1];
  }
  return undefined;
}
