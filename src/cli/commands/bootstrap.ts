import { createHash } from "node:crypto";
import { createReadStream, statSync } from "node:fs";
import type { Command } from "commander";
import { SteleError } from "../../machinery/errors.ts";
import { callUnary, fanOut } from "../client/fan-out.ts";
import { type NodeTarget, openNodeSession } from "../client/node-session.ts";
import { replyError } from "../client/reply-error.ts";
import { formatBytes } from "../dashboard/format-units.ts";

/** Bytes per EtcdRecover message: well under gRPC's 4 MiB message cap, few messages for a large file. */
const UPLOAD_CHUNK_BYTES = 1024 * 1024;

interface BootstrapOptions {
  recoverFrom?: string;
  recoverSkipHashCheck: boolean;
}

/**
 * Registers `stelectl bootstrap [--recover-from FILE] [--recover-skip-hash-check]`: starts a new etcd
 * cluster on one control-plane node, empty or from a snapshot. Once per cluster, on one node: the
 * other control planes join it by themselves, so naming several nodes is refused, not fanned out.
 */
export function registerBootstrapCommand(program: Command): void {
  program
    .command("bootstrap")
    .description("Start the etcd cluster on one control-plane node, once per cluster (admin)")
    .option(
      "--recover-from <file>",
      "start from this snapshot (`stelectl etcd snapshot`, or a copy of a member's db file)",
    )
    .option(
      "--recover-skip-hash-check",
      "accept a snapshot without its integrity hash (a copied db file has none)",
      false,
    )
    .action(async (options: BootstrapOptions, command: Command) => {
      if (options.recoverSkipHashCheck && options.recoverFrom === undefined) {
        throw new SteleError(
          "invalid-argument",
          "--recover-skip-hash-check applies only with --recover-from",
          "Pass the snapshot to recover from with --recover-from <file>",
        );
      }
      const size = options.recoverFrom === undefined ? undefined : snapshotSize(options.recoverFrom);
      const session = await openNodeSession(command);
      try {
        const [target, ...more] = session.targets;
        if (target === undefined || more.length > 0) {
          throw new SteleError(
            "invalid-argument",
            `Bootstrap starts etcd on one control-plane node, not ${session.targets.length}: the other control planes join it by themselves`,
            "Pass one control-plane node with --nodes, e.g. --nodes 10.5.0.2",
          );
        }
        const done = await fanOut(session, async () => {
          if (options.recoverFrom !== undefined) {
            const sha256 = await uploadSnapshot(target, options.recoverFrom);
            process.stdout.write(
              `${target.node}: uploaded ${options.recoverFrom} (${formatBytes(size ?? 0)}, sha256 ${sha256})\n`,
            );
          }
          await callUnary(target.machine, "bootstrap", {
            request: {
              recoverEtcd: options.recoverFrom !== undefined,
              recoverSkipHashCheck: options.recoverSkipHashCheck,
            },
            metadata: target.metadata,
          });
        });
        if (done.length === 0) return; // the failure is printed, and the exit code set
        process.stdout.write(
          options.recoverFrom === undefined
            ? `${target.node}: etcd bootstrap started; the other control planes join it by themselves\n`
            : `${target.node}: etcd recovery started from the snapshot; the other control planes join it by themselves\n`,
        );
      } finally {
        session.close();
      }
    });
}

/** The snapshot's size, after checking it is a readable, non-empty file, before any connection. */
function snapshotSize(file: string): number {
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw new Error("not a regular file");
    size = stat.size;
  } catch (error) {
    throw new SteleError(
      "invalid-argument",
      `Cannot read the snapshot ${file}: ${(error as Error).message}`,
      "Pass a file `stelectl etcd snapshot` wrote, or a copy of a member's member/snap/db",
    );
  }
  if (size === 0) {
    throw new SteleError(
      "invalid-argument",
      `The snapshot ${file} is empty`,
      "Pass the file `stelectl etcd snapshot` wrote",
    );
  }
  return size;
}

/**
 * Sends the file with EtcdRecover in 1 MiB messages, waiting whenever the call's window is full, and
 * resolves with the file's SHA-256 once the node has acknowledged the whole upload.
 */
function uploadSnapshot(target: NodeTarget, file: string): Promise<string> {
  const hash = createHash("sha256");
  return new Promise((resolve, reject) => {
    const call = target.machine.etcdRecover(target.metadata, (error, response) => {
      if (error) return reject(error);
      const failed = response.messages
        .map((reply) => replyError(reply.metadata))
        .find((e) => e !== undefined);
      if (failed) return reject(failed);
      resolve(hash.digest("hex"));
    });
    const input = createReadStream(file, { highWaterMark: UPLOAD_CHUNK_BYTES });
    input.on("data", (chunk) => {
      const bytes = chunk as Buffer;
      hash.update(bytes);
      if (!call.write({ bytes })) {
        input.pause();
        call.once("drain", () => input.resume());
      }
    });
    input.on("end", () => call.end());
    input.on("error", (error) => {
      call.cancel();
      reject(
        new SteleError(
          "io",
          `Cannot read the snapshot ${file}: ${error.message}`,
          "Check the file and try again",
        ),
      );
    });
  });
}
