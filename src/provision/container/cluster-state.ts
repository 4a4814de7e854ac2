import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { SteleError } from "../../machinery/errors.ts";
import { writeFilesAtomically } from "../../pkg/fs/write-files-atomically.ts";
import type { ClusterPlan } from "./cluster-plan.ts";

/** The file in a cluster dir that records what create made: the source of truth of show and destroy. */
export const CLUSTER_STATE_FILE = "cluster.json";

const nodeSchema = z.strictObject({
  name: z.string(),
  role: z.enum(["controlplane", "worker"]),
  address: z.string(),
  netns: z.string(),
  hostVeth: z.string(),
  cgroup: z.string(),
  nodeDir: z.string(),
  maintenance: z.boolean(),
  /** The keeper's PID once it was started. */
  keeperPid: z.int().positive().optional(),
});

const stateSchema = z.strictObject({
  version: z.literal(1),
  name: z.string(),
  clusterDir: z.string(),
  cidr: z.string(),
  prefixLength: z.int(),
  bridge: z.strictObject({ name: z.string(), address: z.string() }),
  linkPrefix: z.string(),
  nodes: z.array(nodeSchema),
  endpoint: z.string(),
  kubernetesVersion: z.string().optional(),
  createdAt: z.string(),
  /** Where create merged the cluster's context, so destroy removes it from that file. */
  clientConfig: z.strictObject({ path: z.string(), context: z.string() }).optional(),
});

/** What cluster.json holds: the plan, when it was made, the keepers' PIDs and the merged context. */
export type ClusterState = z.infer<typeof stateSchema>;

/** One node as cluster.json records it. */
export type ClusterStateNode = ClusterState["nodes"][number];

/** The state of a cluster about to be created: its plan, no keeper started, no context merged. */
export function initialClusterState(plan: ClusterPlan, now = new Date()): ClusterState {
  const { kubernetesVersion, ...rest } = plan;
  return {
    version: 1,
    ...rest,
    nodes: plan.nodes.map((node) => ({ ...node })),
    ...(kubernetesVersion === undefined ? {} : { kubernetesVersion }),
    createdAt: now.toISOString(),
  };
}

/**
 * Writes cluster.json atomically (mode 0600), so a crash mid-write leaves the previous state and
 * destroy can always read what was made.
 */
export function writeClusterState(state: ClusterState): void {
  writeFilesAtomically([
    {
      path: join(state.clusterDir, CLUSTER_STATE_FILE),
      content: `${JSON.stringify(state, null, 2)}\n`,
      mode: 0o600,
    },
  ]);
}

/** Reads a cluster dir's cluster.json; undefined when there is none. */
export function readClusterState(clusterDir: string): ClusterState | undefined {
  const path = join(clusterDir, CLUSTER_STATE_FILE);
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
  const parsed = stateSchema.safeParse(value);
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
