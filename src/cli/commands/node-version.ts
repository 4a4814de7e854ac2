import type { Command } from "commander";
import { STELE_VERSION } from "../../machinery/constants.ts";
import { callUnary, fanOut } from "../client/fan-out.ts";
import { openNodeSession } from "../client/node-session.ts";

/** Registers `stelectl version`: the client's release and every node's, each tagged with its node. */
export function registerVersionCommand(program: Command): void {
  program
    .command("version")
    .description("Print the client's version and each node's")
    .option("--client", "print only the client's version", false)
    .action(async (options: { client: boolean }, command: Command) => {
      const out = process.stdout;
      out.write(
        `Client:\n${fields([
          ["Tag", `v${STELE_VERSION}`],
          ["Node.js", process.version],
          ["OS/Arch", `${process.platform}/${process.arch}`],
        ])}`,
      );
      if (options.client) return;
      const session = await openNodeSession(command);
      try {
        const replies = await fanOut(session, (target) =>
          callUnary(target.version, "version", { request: {}, metadata: target.metadata }),
        );
        out.write("Server:\n");
        for (const { node, value } of replies) {
          for (const reply of value) {
            const version = reply.version;
            out.write(
              fields([
                ["NODE", node],
                ["Tag", version?.tag ?? ""],
                ["SHA", version?.sha ?? ""],
                ["Built", version?.built?.toISOString() ?? ""],
                ["Node.js", version?.nodeVersion ?? ""],
                ["OS/Arch", `${version?.os ?? ""}/${version?.arch ?? ""}`],
                ["Platform", reply.platform?.name ?? ""],
              ]),
            );
          }
        }
      } finally {
        session.close();
      }
    });
}

function fields(rows: readonly (readonly [string, string])[]): string {
  return rows.map(([name, value]) => `\t${`${name}:`.padEnd(10)}${value}\n`).join("");
}
