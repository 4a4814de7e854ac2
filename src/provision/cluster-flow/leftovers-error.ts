import { SteleError } from "../../machinery/errors.ts";
import type { Leftover } from "../container/find-leftovers.ts";

/**
 * The error destroy ends with when something of the cluster is still on the host: each leftover on
 * a line, as a person would look for it, and the advice to run destroy again (it works twice).
 */
export function leftoversError(name: string, leftovers: readonly Leftover[]): SteleError {
  return new SteleError(
    "io",
    `Cluster ${name} was not completely removed: ${leftovers.length} thing${leftovers.length === 1 ? "" : "s"} remain:\n${leftovers.map((l) => `  ${l.kind}: ${l.what}`).join("\n")}`,
    `run \`stelectl cluster destroy --name ${name}\` again; if it stays, remove these by hand`,
  );
}
