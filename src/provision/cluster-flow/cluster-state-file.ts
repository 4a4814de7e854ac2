import { readFileSync } from "node:fs";
import type { z } from "zod";
import { SteleError } from "../../machinery/errors.ts";
import { writeFilesAtomically } from "../../pkg/fs/write-files-atomically.ts";

/**
 * The state of a cluster about to be created, from its plan: format version 1, the plan's fields,
 * a copy of each node (create records PIDs in them), and when it was made. Both provisioners'
 * state files start so; `kubernetesVersion` is left out when the plan has none, since JSON has no
 * undefined and the strict schemas refuse a null.
 */
export function stateFromPlan<P extends { kubernetesVersion?: string | undefined; nodes: readonly object[] }>(
  plan: P,
  now: Date,
): Omit<P, "kubernetesVersion"> & { version: 1; kubernetesVersion?: string; createdAt: string } {
  const { kubernetesVersion, ...rest } = plan;
  return {
    version: 1,
    ...rest,
    nodes: plan.nodes.map((node) => ({ ...node })) as unknown as P["nodes"],
    ...(kubernetesVersion === undefined ? {} : { kubernetesVersion }),
    createdAt: now.toISOString(),
  };
}

/**
 * Writes a cluster's state file atomically (mode 0600), so a crash mid-write leaves the previous
 * state and destroy can always read what was made.
 */
export function writeClusterStateFile(path: string, state: unknown): void {
  writeFilesAtomically([{ path, content: `${JSON.stringify(state, null, 2)}\n`, mode: 0o600 }]);
}

/**
 * Reads and validates a cluster's state file; undefined when there is none (this provisioner made
 * nothing there). A file that is not JSON or not of the schema is refused with the first problem,
 * saying that destroy still works by the cluster's name.
 */
export function readClusterStateFile<T>(path: string, schema: z.ZodType<T>): T | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new SteleError("io", `Cannot read ${path}: ${(error as Error).message}`, undefined, {
      cause: error,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw corrupt(path, (error as Error).message);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw corrupt(path, `${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
}

function corrupt(path: string, detail: string): SteleError {
  return new SteleError(
    "invalid-config",
    `Cluster state ${path} is not readable: ${detail}`,
    "it was written by another stelectl version or edited by hand; `stelectl cluster destroy` still removes what it can find by the cluster's name",
  );
}
