/**
 * `sandbox-init`: PID 1 of a node's new namespaces, started by sandbox-keeper through `unshare`, on
 * the host's filesystem still. Mounts the node's root (nodeMountPlan), pivots into it, sets the
 * hostname, and replaces itself (execve, same PID 1) with machined from the image:
 * `/usr/bin/node /usr/lib/stele/stele.mjs machined <machined args…>`. Any failure before execve is
 * one line on stderr and exit 1, which ends the namespaces and tells the keeper; it never waits.
 */
import { readFileSync, readlinkSync, writeSync } from "node:fs";
import { isSteleError, SteleError } from "../../../machinery/errors.ts";
import { clearCloseOnExec, execve, parseProcStat, sethostname } from "../../../pkg/linux/index.ts";
import { nodeDirPaths } from "../node-dir.ts";
import { applyMountPlan } from "./apply-mount-plan.ts";
import { parseInitArgs } from "./init-options.ts";
import { nodeMountPlan } from "./node-mount-plan.ts";
import { switchRoot } from "./switch-root.ts";

/** Where the image keeps Node.js and Stele's bundle (the contract's image layout). */
const IMAGE_NODE = "/usr/bin/node";
const IMAGE_BUNDLE = "/usr/lib/stele/stele.mjs";
/** The node's whole environment: nothing of the host's leaks in. */
const IMAGE_ENV: Readonly<Record<string, string>> = { PATH: "/usr/bin:/usr/sbin" };

let name = "node";
try {
  const options = parseInitArgs(process.argv.slice(2));
  name = options.name;
  refuseOutsideSandbox();
  const paths = nodeDirPaths(options.nodeDir);
  applyMountPlan(
    nodeMountPlan({
      root: paths.root,
      rootfs: options.rootfs,
      state: paths.state,
      var: paths.var,
      ...(options.imageCache === undefined ? {} : { imageCache: options.imageCache }),
    }),
  );
  switchRoot(paths.root);
  sethostname(options.hostname);
  for (const fd of [0, 1, 2]) clearCloseOnExec(fd);
  execve(IMAGE_NODE, {
    argv: [IMAGE_NODE, IMAGE_BUNDLE, "machined", ...options.machinedArgs],
    env: IMAGE_ENV,
  });
} catch (error) {
  const detail = isSteleError(error)
    ? `${error.message}${error.hint ? ` (hint: ${error.hint})` : ""}`
    : error instanceof Error
      ? error.message
      : String(error);
  // Synchronous: PID 1 exits right after, and the line is all the keeper will report.
  writeSync(2, `sandbox-init[${name}]: error: ${detail}\n`);
  process.exit(1);
}

/**
 * Mounting over the host and pivoting its root would wreck it: go on only as PID 1 of a new PID
 * namespace and in a mount namespace other than the keeper's. /proc is still the host's here, so
 * /proc/self names this process by its host PID and its ancestors are there: the parent is
 * `unshare`, which entered the new mount namespace itself before forking, and its parent the keeper.
 */
function refuseOutsideSandbox(): void {
  let ownMountNamespace = false;
  try {
    const hostPid = readlinkSync("/proc/self");
    const launcher = parentOf(hostPid);
    const keeper = parentOf(String(launcher));
    ownMountNamespace = readlinkSync("/proc/self/ns/mnt") !== readlinkSync(`/proc/${keeper}/ns/mnt`);
  } catch {
    // No ancestors to compare with (PID 1 of the host itself): not a node's sandbox.
  }
  if (process.pid !== 1 || !ownMountNamespace) {
    throw new SteleError(
      "failed-precondition",
      "Refusing to set up a node root outside a node's namespaces",
      "sandbox-init runs only as PID 1 of the namespaces sandbox-keeper creates; start nodes with `stelectl cluster create`",
    );
  }
}

function parentOf(pid: string): number | undefined {
  return parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"))?.ppid;
}
