import { isAbsolute, resolve } from "node:path";
import { parseArgs } from "node:util";
import { SteleError } from "../../machinery/errors.ts";
import { checkCgroupPath } from "./node-cgroup.ts";

/** What a keeper runs: one node of the `container` platform. The flags of `sandbox-keeper`. */
export interface KeeperOptions {
  /** The node's name, for the console. */
  name: string;
  /** The network namespace (made by the provisioner, `/run/netns/<netns>`) the node lives in. */
  netns: string;
  /** The root filesystem image (squashfs), mounted read-only as the node's `/`. */
  rootfs: string;
  /** The node directory (see nodeDirPaths). */
  nodeDir: string;
  /** The node's hostname (its own UTS namespace). */
  hostname: string;
  /** The node's cgroup, `/stele/<cluster>/<node>`, in every hierarchy. */
  cgroup: string;
  /** A directory of OCI archives bound read-only at `/system/image-cache`. */
  imageCache?: string;
  /** machined's arguments, after `--`. */
  machinedArgs: readonly string[];
}

/**
 * The `sandbox-keeper` arguments for `options` (without the program name): the flags of the
 * contract, then `--` and machined's arguments. Inverse of {@link parseKeeperArgs}.
 */
export function keeperArgs(options: KeeperOptions): string[] {
  return [
    "--name",
    options.name,
    "--netns",
    options.netns,
    "--rootfs",
    resolve(options.rootfs),
    "--node-dir",
    resolve(options.nodeDir),
    "--hostname",
    options.hostname,
    "--cgroup",
    options.cgroup,
    ...(options.imageCache === undefined ? [] : ["--image-cache", resolve(options.imageCache)]),
    "--",
    ...options.machinedArgs,
  ];
}

/**
 * Parses `sandbox-keeper` arguments: every flag required but `--image-cache`, paths absolute,
 * names that are safe in paths. Throws an `invalid-argument` SteleError naming the bad flag.
 */
export function parseKeeperArgs(argv: readonly string[]): KeeperOptions {
  const split = argv.indexOf("--");
  const flags = split < 0 ? argv : argv.slice(0, split);
  const machinedArgs = split < 0 ? [] : argv.slice(split + 1);
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...flags],
      options: {
        name: { type: "string" },
        netns: { type: "string" },
        rootfs: { type: "string" },
        "node-dir": { type: "string" },
        hostname: { type: "string" },
        cgroup: { type: "string" },
        "image-cache": { type: "string" },
      },
      strict: true,
    }));
  } catch (error) {
    throw usage((error as Error).message);
  }
  const required = (flag: string): string => {
    const value = values[flag];
    if (value === undefined || value === "") throw usage(`missing --${flag}`);
    return value;
  };
  const name = checkName("--name", required("name"));
  const netns = checkName("--netns", required("netns"));
  const hostname = checkHostname(required("hostname"));
  const options: KeeperOptions = {
    name,
    netns,
    rootfs: checkAbsolute("--rootfs", required("rootfs")),
    nodeDir: checkAbsolute("--node-dir", required("node-dir")),
    hostname,
    cgroup: checkCgroupPath(required("cgroup")),
    machinedArgs,
  };
  const imageCache = values["image-cache"];
  if (imageCache !== undefined) options.imageCache = checkAbsolute("--image-cache", imageCache);
  return options;
}

/** The one-line usage the keeper's errors point to. */
export const KEEPER_USAGE =
  "sandbox-keeper --name NODE --netns NETNS --rootfs ROOTFS.sqsh --node-dir DIR --hostname HOST " +
  "--cgroup /stele/<cluster>/<node> [--image-cache DIR] -- <machined args…>";

function usage(detail: string): SteleError {
  return new SteleError(
    "invalid-argument",
    `Invalid sandbox-keeper arguments: ${detail}`,
    `Usage: ${KEEPER_USAGE}`,
  );
}

function checkName(flag: string, value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(value))
    throw usage(`${flag} ${JSON.stringify(value)} is not a plain name`);
  return value;
}

function checkHostname(value: string): string {
  // RFC 1123 labels; the kernel takes up to 64 bytes.
  if (
    value.length > 64 ||
    !/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(value)
  ) {
    throw usage(`--hostname ${JSON.stringify(value)} is not a valid hostname`);
  }
  return value;
}

function checkAbsolute(flag: string, value: string): string {
  if (!isAbsolute(value)) throw usage(`${flag} ${JSON.stringify(value)} is not an absolute path`);
  return value;
}
