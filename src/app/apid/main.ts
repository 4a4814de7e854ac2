/**
 * apid's entry point: `node src/app/apid/main.ts --state-dir DIR [--config FILE] [--listen 0.0.0.0:50000]`
 * (or `stele.mjs apid …` from the bundle). machined starts it as a service and captures its stdout,
 * where it writes JSON log lines. Importing this module runs apid, as for every daemon's main.ts.
 */
import { runApid } from "./run-apid.ts";

const controller = new AbortController();
for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => controller.abort());
const code = await runApid({ argv: process.argv.slice(2), out: process.stdout, signal: controller.signal });
// Upstream channels may keep timers alive for a moment; a stopped daemon exits now.
process.exit(code);
