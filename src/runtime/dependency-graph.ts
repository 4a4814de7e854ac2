import type { Controller } from "./controller.ts";

/** An edge of the dependency graph: a controller reads (`input`) or writes (`output`) a type. */
export interface DependencyEdge {
  readonly controller: string;
  readonly type: string;
  readonly direction: "input" | "output";
  readonly kind: "weak" | "strong" | "exclusive" | "shared";
  readonly namespace: string;
  /** For an input restricted to one resource. */
  readonly id?: string;
}

/** Which controllers read and write which resource types: the map of what machined does. */
export interface DependencyGraph {
  /** Controller names, sorted. */
  readonly controllers: readonly string[];
  /** Resource type names, sorted. */
  readonly types: readonly string[];
  /** Sorted by controller, direction (inputs first), type. */
  readonly edges: readonly DependencyEdge[];
}

/** Builds the graph from controller declarations; sorted throughout so its output is stable. */
export function buildDependencyGraph(controllers: readonly Controller[]): DependencyGraph {
  const edges: DependencyEdge[] = [];
  for (const c of controllers) {
    for (const input of c.inputs) {
      edges.push({
        controller: c.name,
        type: input.type.type,
        direction: "input",
        kind: input.kind,
        namespace: input.namespace ?? input.type.defaultNamespace,
        ...(input.id === undefined ? {} : { id: input.id }),
      });
    }
    for (const output of c.outputs) {
      edges.push({
        controller: c.name,
        type: output.type.type,
        direction: "output",
        kind: output.kind,
        namespace: output.namespace ?? output.type.defaultNamespace,
      });
    }
  }
  edges.sort(
    (a, b) =>
      compare(a.controller, b.controller) ||
      compare(a.direction, b.direction) ||
      compare(a.type, b.type) ||
      compare(a.id ?? "", b.id ?? ""),
  );
  return {
    controllers: controllers.map((c) => c.name).sort(compare),
    types: [...new Set(edges.map((e) => e.type))].sort(compare),
    edges,
  };
}

/** Edge styles: the solid, bold line is the one to follow when asking "who writes this?". */
const EDGE_STYLE: Record<DependencyEdge["kind"], string> = {
  weak: "dashed",
  strong: "solid",
  exclusive: "bold",
  shared: "solid",
};

/**
 * Formats the graph as Graphviz dot, left to right: resource types as ellipses, controllers as
 * boxes, an arrow from each input type into its controller and from each controller into its output
 * types, labelled with the kind, the namespace and, for an input of one resource, its id.
 */
export function formatGraphDot(graph: DependencyGraph): string {
  const lines = ["digraph controllers {", "  rankdir=LR;", '  node [fontname="Helvetica"];'];
  for (const type of graph.types)
    lines.push(`  ${quote(`type/${type}`)} [shape=ellipse, label=${quote(type)}];`);
  for (const name of graph.controllers)
    lines.push(`  ${quote(`controller/${name}`)} [shape=box, label=${quote(name)}];`);
  for (const edge of graph.edges) {
    const type = quote(`type/${edge.type}`);
    const controller = quote(`controller/${edge.controller}`);
    const [from, to] = edge.direction === "input" ? [type, controller] : [controller, type];
    const parts = [edge.kind, `ns ${edge.namespace}`, ...(edge.id === undefined ? [] : [`id ${edge.id}`])];
    // Each part is escaped on its own; `\n` between them is dot's line break inside a label.
    const label = `"${parts.map((p) => quote(p).slice(1, -1)).join("\\n")}"`;
    lines.push(`  ${from} -> ${to} [style=${EDGE_STYLE[edge.kind]}, label=${label}];`);
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

/** A dot string literal: backslashes and quotes escaped, so any name is safe. */
function quote(text: string): string {
  return `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
