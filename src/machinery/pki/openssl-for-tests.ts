import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Test support: runs the real `openssl` binary, the tool the security team checks certificates
 * with, so tests assert what OpenSSL accepts rather than what our own parser believes.
 */
export interface OpenSslResult {
  ok: boolean;
  /** stdout and stderr together, as a person reading the terminal would see them. */
  output: string;
}

/** Runs `openssl <args>`; a non-zero exit is returned as `ok: false`, not thrown. */
export function openssl(
  args: readonly string[],
  options: { cwd?: string; input?: string } = {},
): OpenSslResult {
  try {
    const stdout = execFileSync("openssl", args, {
      cwd: options.cwd,
      input: options.input,
      encoding: "utf8",
      stdio: ["pipe", "pipe", "pipe"],
    });
    return { ok: true, output: stdout };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

/** A scratch directory for PEM files; `remove` belongs in the test file's `after`. */
export function pemDirectory(prefix = "stele-pki-"): {
  dir: string;
  write(name: string, pem: string): string;
  remove(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    write(name, pem) {
      const path = join(dir, name);
      writeFileSync(path, pem, { mode: 0o600 });
      return path;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `openssl x509 -noout -text` of a PEM certificate; throws when OpenSSL cannot read it at all. */
export function x509Text(pem: string): string {
  const result = openssl(["x509", "-noout", "-text"], { input: pem });
  if (!result.ok) throw new Error(`openssl could not read the certificate: ${result.output}`);
  return result.output;
}
