import { SteleError } from "../../../machinery/errors.ts";

/** The part of a service definition the dependency graph looks at. */
export interface DependencyNode {
  readonly id: string;
  readonly dependsOn?: readonly string[];
}

/**
 * Orders services so that every service comes after its dependencies, keeping the given order
 * where the graph leaves a choice (so listings are stable). Refuses unknown dependencies and
 * cycles, naming them, because either would leave a service waiting forever at boot with nothing
 * in the logs but "waiting".
 */
export function orderByDependencies(nodes: readonly DependencyNode[]): string[] {
  const byId = new Map<string, DependencyNode>();
  for (const node of nodes) {
    if (byId.has(node.id)) {
      throw new SteleError(
        "already-exists",
        `Duplicate service: ${JSON.stringify(node.id)} is defined twice`,
        "Give every service a unique id",
      );
    }
    byId.set(node.id, node);
  }
  for (const node of nodes) {
    for (const dependency of node.dependsOn ?? []) {
      if (!byId.has(dependency)) {
        throw new SteleError(
          "invalid-argument",
          `Unknown dependency of service ${JSON.stringify(node.id)}: no service ${JSON.stringify(dependency)} is loaded`,
          `Load ${JSON.stringify(dependency)} together with ${JSON.stringify(node.id)}, or remove it from dependsOn`,
        );
      }
    }
  }
  const order: string[] = [];
  const done = new Set<string>();
  // The path of the depth-first walk: meeting one of its members again closes a cycle.
  const path: string[] = [];
  const visit = (id: string): void => {
    if (done.has(id)) return;
    const loopStart = path.indexOf(id);
    if (loopStart !== -1) {
      const cycle = [...path.slice(loopStart), id].join(" -> ");
      throw new SteleError(
        "invalid-argument",
        `Service dependency cycle: ${cycle}`,
        "Remove one of these dependsOn entries; services can only start in an order without cycles",
      );
    }
    path.push(id);
    for (const dependency of byId.get(id)?.dependsOn ?? []) visit(dependency);
    path.pop();
    done.add(id);
    order.push(id);
  };
  for (const node of nodes) visit(node.id);
  return order;
}

/**
 * The services `ids` depend on, directly or not, with `ids` themselves: what must be started
 * for them to start.
 */
export function dependencyClosure(
  nodes: ReadonlyMap<string, DependencyNode>,
  ids: readonly string[],
): Set<string> {
  const closure = new Set<string>();
  const walk = (id: string): void => {
    if (closure.has(id)) return;
    closure.add(id);
    for (const dependency of nodes.get(id)?.dependsOn ?? []) walk(dependency);
  };
  for (const id of ids) walk(id);
  return closure;
}

/**
 * The services that depend on `ids`, directly or not, with `ids` themselves: what must be
 * stopped for them to stop.
 */
export function dependantClosure(
  nodes: ReadonlyMap<string, DependencyNode>,
  ids: readonly string[],
): Set<string> {
  const dependants = new Map<string, string[]>();
  for (const node of nodes.values()) {
    for (const dependency of node.dependsOn ?? []) {
      const list = dependants.get(dependency) ?? [];
      list.push(node.id);
      dependants.set(dependency, list);
    }
  }
  const closure = new Set<string>();
  const walk = (id: string): void => {
    if (closure.has(id)) return;
    closure.add(id);
    for (const dependant of dependants.get(id) ?? []) walk(dependant);
  };
  for (const id of ids) walk(id);
  return closure;
}
