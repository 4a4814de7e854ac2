/** A SHA-256 fingerprint as apid prints it: 32 upper-case hex bytes joined by colons. */
const FINGERPRINT = /\b([0-9A-F]{2}(?::[0-9A-F]{2}){31})\b/;

/**
 * The API certificate fingerprint one of apid's log lines announces, or undefined: apid makes a
 * fresh self-signed certificate at every start in maintenance mode and logs it once, as
 * `{"fingerprint":"AB:…","msg":"maintenance mode: API certificate fingerprint SHA256 AB:…"}`.
 * machined reads it from the lines as they are stored, so its console screen shows the certificate
 * apid serves now. The same reading as the dashboard's `apiFingerprintFromLog` (src/cli may not be
 * imported from here), one line at a time.
 */
export function apiFingerprintFromLine(line: string): string | undefined {
  if (!line.includes("fingerprint")) return undefined;
  try {
    const value = (JSON.parse(line) as { fingerprint?: unknown } | null)?.fingerprint;
    if (typeof value === "string" && FINGERPRINT.test(value)) return value;
  } catch {
    // a plain-text line: read it as text below
  }
  return FINGERPRINT.exec(line)?.[1];
}
