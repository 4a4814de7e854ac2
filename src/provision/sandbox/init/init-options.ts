import { isAbsolute } from "node:path";
import { parseArgs } from "node:util";
import { SteleError } from "../../../machinery/errors.ts";

/** What sandbox-init sets up: the flags the keeper passes it. */
export interface InitOptions {
  /** The node's name, for the console. */
  name: string;
  /** The node directory (see nodeDirPaths): `state/`, `var/` and the `root/` mount point. */
  nodeDir: string;
  /** The root filesystem image (squashfs). */
  rootfs: string;
  hostname: string;
  /** OCI archives to bind read-only at `/system/image-cache`. */
  imageCache?: string;
  /** machined's arguments. */
  machinedArgs: readonly string[];
}

/** The `sandbox-init` arguments for `options` (without the program name). Inverse of {@link parseInitArgs}. */
export function initArgs(options: InitOptions): string[] {
  return [
    "--name",
    options.name,
    "--node-dir",
    options.nodeDir,
    "--rootfs",
    options.rootfs,
    "--hostname",
    options.hostname,
    ...(options.imageCache === undefined ? [] : ["--image-cache", options.imageCache]),
    "--",
    ...options.machinedArgs,
  ];
}

/** Parses `sandbox-init` arguments; throws an `invalid-argument` SteleError naming what is wrong. */
export function parseInitArgs(argv: readonly string[]): InitOptions {
  const split = argv.indexOf("--");
  const flags = split < 0 ? argv : argv.slice(0, split);
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...flags],
      options: {
        name: { type: "string" },
        "node-dir": { type: "string" },
        rootfs: { type: "string" },
        hostname: { type: "string" },
        "image-cache": { type: "string" },
      },
      strict: true,
    }));
  } catch (error) {
    throw usage((error as Error).message);
  }
  const required = (flag: string, absolute = false): string => {
    const value = values[flag];
    if (value === undefined || value === "") throw usage(`missing --${flag}`);
    if (absolute && !isAbsolute(value))
      throw usage(`--${flag} ${JSON.stringify(value)} is not an absolute path`);
    return value;
  };
  const options: InitOptions = {
    name: required("name"),
    nodeDir: required("node-dir", true),
    rootfs: required("rootfs", true),
    hostname: required("hostname"),
    machinedArgs: split < 0 ? [] : argv.slice(split + 1),
  };
  if (values["image-cache"] !== undefined) options.imageCache = required("image-cache", true);
  return options;
}

function usage(detail: string): SteleError {
  return new SteleError(
    "invalid-argument",
    `Invalid sandbox-init arguments: ${detail}`,
    "sandbox-init is started by sandbox-keeper; start the node with `stelectl cluster create`",
  );
}
