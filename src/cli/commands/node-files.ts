import type { Command } from "commander";
import type { ListResponse, ReadResponse } from "../../machinery/api/machine/v1alpha1/machine.ts";
import { SteleError } from "../../machinery/errors.ts";
import { fanOut, readStream } from "../client/fan-out.ts";
import { formatTable } from "../client/format-table.ts";
import { openNodeSession } from "../client/node-session.ts";

/** Registers `stelectl list/ls <path>` and `stelectl read/cat <path>`: the files of nodes. */
export function registerFilesCommands(program: Command): void {
  program
    .command("list")
    .alias("ls")
    .description("List a directory of the nodes")
    .argument("[path]", "absolute path", "/")
    .option("-r, --recurse", "descend into subdirectories", false)
    .option("--depth <levels>", "with -r: how many levels (0: no limit)", (value) => Number(value), 0)
    .option("-l, --long", "show mode, size and modification time", false)
    .action(
      async (path: string, options: { recurse: boolean; depth: number; long: boolean }, command: Command) => {
        const session = await openNodeSession(command);
        try {
          const replies = await fanOut(session, async (target) => {
            const entries: ListResponse[] = [];
            await readStream<ListResponse>(
              target.machine.list(
                { root: path, recurse: options.recurse, recursionDepth: options.depth, types: [] },
                target.metadata,
              ),
              (entry) => entries.push(entry),
            );
            return entries;
          });
          const header = options.long ? ["NODE", "MODE", "SIZE", "MODIFIED", "NAME"] : ["NODE", "NAME"];
          const rows = replies.flatMap(({ node, value }) =>
            value.map((entry) => {
              const name =
                entry.error !== ""
                  ? `${entry.name} (error: ${entry.error})`
                  : `${entry.relativeName || "."}${entry.link ? ` -> ${entry.link}` : ""}`;
              return options.long
                ? [node, modeString(entry), String(entry.size), entry.modified?.toISOString() ?? "", name]
                : [node, name];
            }),
          );
          process.stdout.write(formatTable([header, ...rows]));
        } finally {
          session.close();
        }
      },
    );

  program
    .command("read")
    .alias("cat")
    .description("Print a file of one node (admin only: files may hold secrets)")
    .argument("<path>", "absolute path")
    .action(async (path: string, _options: unknown, command: Command) => {
      const session = await openNodeSession(command);
      try {
        if (session.targets.length !== 1) {
          throw new SteleError(
            "invalid-argument",
            `read prints one node's file, not ${session.targets.length}: their bytes would interleave`,
            "Pass one node with --nodes",
          );
        }
        await fanOut(session, (target) =>
          readStream<ReadResponse>(target.machine.read({ path }, target.metadata), (chunk) =>
            process.stdout.write(chunk.bytes),
          ),
        );
      } finally {
        session.close();
      }
    });
}

function modeString(entry: ListResponse): string {
  const kind = entry.type === "FILE_TYPE_DIRECTORY" ? "d" : entry.type === "FILE_TYPE_SYMLINK" ? "l" : "-";
  const bits = "rwxrwxrwx"
    .split("")
    .map((letter, i) => ((entry.mode >> (8 - i)) & 1 ? letter : "-"))
    .join("");
  return kind + bits;
}
