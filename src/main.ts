/**
 * The one entry point of Stele's userland, as Talos has one binary: `stele.mjs <program> …` or a
 * link named after the program (`machined`, `apid`, `trustd`, `stelectl`) runs that program. The
 * image ships this file bundled (`dist/stele.mjs`); each program's `main.ts` runs when imported.
 */
import { basename } from "node:path";

const PROGRAMS: Readonly<Record<string, () => Promise<unknown>>> = {
  machined: () => import("./app/machined/main.ts"),
  apid: () => import("./app/apid/main.ts"),
  trustd: () => import("./app/trustd/main.ts"),
  stelectl: () => import("./cli/main.ts"),
  // The two halves of a node of the `container` platform: the host-side keeper and the init that
  // becomes machined inside the node's namespaces (src/provision/sandbox).
  "sandbox-keeper": () => import("./provision/sandbox/keeper/main.ts"),
  "sandbox-init": () => import("./provision/sandbox/init/main.ts"),
  // The stage-1 init of a booted node: PID 1 in the initramfs (`/init`), it switches root into machined.
  init: () => import("./app/init/main.ts"),
};

const invokedAs = basename(process.argv[1] ?? "").replace(/\.(m?js|ts)$/, "");
let program = Object.hasOwn(PROGRAMS, invokedAs) ? invokedAs : undefined;
if (program === undefined) {
  program = process.argv[2];
  // The program's own arguments start after its name, where each main.ts expects them.
  process.argv.splice(2, 1);
}
if (program === undefined || !Object.hasOwn(PROGRAMS, program)) {
  process.stderr.write(
    `error: unknown program ${JSON.stringify(program ?? "")}: expected one of ${Object.keys(PROGRAMS).join(", ")}\n` +
      "hint: run `stele.mjs stelectl --help`, or `stele.mjs machined --state-dir DIR` to start a node\n",
  );
  process.exit(2);
}
await PROGRAMS[program]!();
