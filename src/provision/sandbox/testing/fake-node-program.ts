/**
 * Stands in for `/usr/lib/stele/stele.mjs` in the sandbox test's image (bundled by esbuild): reports
 * what a node's PID 1 sees into `/var/boot-<n>.json`, then obeys trigger files the test drops into the
 * node's /var: `reboot-<n>` → reboot(2) RESTART through src/pkg/linux, `poweroff` → exit 0,
 * `crash` → exit 3. On SIGTERM it writes `/var/sigterm` and exits 0, as machined does.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { reboot } from "../../../pkg/linux/index.ts";

const boot = readdirSync("/var").filter((name) => /^boot-\d+\.json$/.test(name)).length + 1;
let writeRoot = "ok";
try {
  writeFileSync("/written-by-the-node", "x");
} catch (error) {
  writeRoot = (error as NodeJS.ErrnoException).code ?? String(error);
}
process.on("SIGTERM", () => {
  writeFileSync("/var/sigterm", String(boot));
  process.exit(0);
});
writeFileSync(
  `/var/boot-${boot}.json`,
  JSON.stringify({
    pid: process.pid,
    hostname: hostname(),
    argv: process.argv,
    env: process.env,
    cwd: process.cwd(),
    writeRoot,
    mountinfo: readFileSync("/proc/self/mountinfo", "utf8"),
    cgroup: readFileSync("/proc/self/cgroup", "utf8"),
    dev: readdirSync("/dev").sort(),
    processes: readdirSync("/proc").filter((name) => /^\d+$/.test(name)),
  }),
);
setInterval(() => {
  if (existsSync(`/var/reboot-${boot}`)) reboot("restart");
  if (existsSync("/var/poweroff")) process.exit(0);
  if (existsSync("/var/crash")) process.exit(3);
}, 20);
