import { stringify } from "yaml";
import type { Resource, ResourceDefinition } from "../../machinery/api/resource/v1alpha1/resource.ts";
import { evaluateJsonPath } from "./json-path.ts";
import { parseResourceSpec } from "./parse-resource-spec.ts";

/** The output formats of `stelectl get`. */
export const RESOURCE_OUTPUT_FORMATS = ["table", "yaml", "json"] as const;

/** One of RESOURCE_OUTPUT_FORMATS. */
export type ResourceOutputFormat = (typeof RESOURCE_OUTPUT_FORMATS)[number];

/**
 * A resource as `-o yaml` and `-o json` print it: the node it came from first, then its metadata
 * and its spec, parsed from the YAML the node sent so that both formats show the same values.
 */
export function resourceDocument(node: string, resource: Resource): Record<string, unknown> {
  const metadata = resource.metadata;
  return {
    node,
    metadata: {
      namespace: metadata?.namespace ?? "",
      type: metadata?.type ?? "",
      id: metadata?.id ?? "",
      version: Number(metadata?.version ?? 0n),
      owner: metadata?.owner ?? "",
      phase: (metadata?.phase ?? "PHASE_UNSPECIFIED")
        .replace(/^PHASE_/, "")
        .toLowerCase()
        .replaceAll("_", "-"),
      ...(metadata?.created ? { created: metadata.created.toISOString() } : {}),
      ...(metadata?.updated ? { updated: metadata.updated.toISOString() } : {}),
      ...(metadata && Object.keys(metadata.labels).length > 0 ? { labels: metadata.labels } : {}),
    },
    spec: parseResourceSpec(resource),
  };
}

/** The header of the table `stelectl get` prints for a type: NODE, the standard columns, the type's own. */
export function resourceTableHeader(definition: ResourceDefinition | undefined): string[] {
  return [
    "NODE",
    "NAMESPACE",
    "TYPE",
    "ID",
    "VERSION",
    ...(definition?.printColumns ?? []).map((column) => column.name.toUpperCase()),
  ];
}

/** One row of that table. */
export function resourceTableRow(
  node: string,
  resource: Resource,
  definition: ResourceDefinition | undefined,
): string[] {
  const metadata = resource.metadata;
  const spec = parseResourceSpec(resource);
  return [
    node,
    metadata?.namespace ?? "",
    metadata?.type ?? definition?.type ?? "",
    metadata?.id ?? "",
    String(metadata?.version ?? ""),
    ...(definition?.printColumns ?? []).map((column) => evaluateJsonPath(spec, column.jsonPath)),
  ];
}

/** A resource as one document of `-o yaml` (with its `---` separator) or one line of `-o json`. */
export function formatResourceDocument(format: "yaml" | "json", document: Record<string, unknown>): string {
  return format === "json" ? `${JSON.stringify(document)}\n` : `---\n${stringify(document)}`;
}
