import { readFileSync } from "node:fs";

const FINGERPRINT = /maintenance mode: API certificate fingerprint SHA256 ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})/g;

/**
 * The certificate fingerprint a maintenance-mode node printed on its console (apid logs
 * `maintenance mode: API certificate fingerprint SHA256 AB:CD:…`), the last one when it printed
 * several (a node that rebooted has a new certificate). Undefined until it is printed. This is how
 * an operator of bare metal learns it, and the only trust the insecure apply has.
 */
export function findMaintenanceFingerprint(consoleText: string): string | undefined {
  let last: string | undefined;
  for (const match of consoleText.matchAll(FINGERPRINT)) last = match[1];
  return last;
}

/** findMaintenanceFingerprint on a console.log file; undefined while the file does not exist. */
export function readMaintenanceFingerprint(consoleLog: string): string | undefined {
  try {
    return findMaintenanceFingerprint(readFileSync(consoleLog, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
