import type { Command } from "commander";
import { callUnary, fanOut } from "../client/fan-out.ts";
import { formatTable } from "../client/format-table.ts";
import { openNodeSession } from "../client/node-session.ts";

const MIB = 1024n * 1024n;

/** Registers `stelectl processes/ps` and `stelectl memory/mem`. */
export function registerStatsCommands(program: Command): void {
  program
    .command("processes")
    .alias("ps")
    .description("List the processes of the nodes")
    .action(async (_options: unknown, command: Command) => {
      const session = await openNodeSession(command);
      try {
        const replies = await fanOut(session, (target) =>
          callUnary(target.machine, "processes", { request: {}, metadata: target.metadata }),
        );
        const rows = replies.flatMap(({ node, value }) =>
          value.flatMap((reply) =>
            reply.processes.map((p) => [
              node,
              String(p.pid),
              p.state,
              String(p.threads),
              p.cpuTime.toFixed(2),
              mebibytes(p.virtualMemory),
              mebibytes(p.residentMemory),
              p.args || p.command,
            ]),
          ),
        );
        process.stdout.write(
          formatTable([
            ["NODE", "PID", "STATE", "THREADS", "CPU-TIME", "VIRTMEM", "RESMEM", "COMMAND"],
            ...rows,
          ]),
        );
      } finally {
        session.close();
      }
    });

  program
    .command("memory")
    .alias("mem")
    .description("Show the memory of the nodes, in MiB")
    .action(async (_options: unknown, command: Command) => {
      const session = await openNodeSession(command);
      try {
        const replies = await fanOut(session, (target) =>
          callUnary(target.machine, "memory", { request: {}, metadata: target.metadata }),
        );
        const rows = replies.flatMap(({ node, value }) =>
          value.map((reply) => {
            const m = reply.meminfo;
            const used = m ? m.memTotal - m.memFree - m.buffers - m.cached : 0n;
            return [
              node,
              mib(m?.memTotal),
              mib(used),
              mib(m?.memFree),
              mib(m?.shmem),
              mib(m ? m.buffers + m.cached : undefined),
              mib(m?.memAvailable),
            ];
          }),
        );
        process.stdout.write(
          formatTable([["NODE", "TOTAL", "USED", "FREE", "SHARED", "BUFFERS+CACHE", "AVAILABLE"], ...rows]),
        );
      } finally {
        session.close();
      }
    });
}

function mib(bytes: bigint | undefined): string {
  return bytes === undefined ? "" : String(bytes / MIB);
}

function mebibytes(bytes: bigint): string {
  return `${bytes / MIB}M`;
}
