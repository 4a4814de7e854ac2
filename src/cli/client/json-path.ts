/**
 * The value at a kubectl-style JSONPath (`{.address}`, `{.links[0].name}`) in a resource spec,
 * printed as a table cell: a string as is, anything else as JSON, missing as empty. Only the dotted
 * and indexed forms ResourceDefinition print columns use are supported; filters are not.
 */
export function evaluateJsonPath(value: unknown, path: string): string {
  const steps = path
    .replace(/^\{\s*|\s*\}$/g, "")
    .replace(/^\$/, "")
    .split(/\.|\[(\d+)\]/)
    .filter((step) => step !== undefined && step !== "");
  let current = value;
  for (const step of steps) {
    if (current === null || typeof current !== "object") return "";
    current = (current as Record<string, unknown>)[step];
  }
  if (current === undefined || current === null) return "";
  return typeof current === "string" ? current : JSON.stringify(current);
}
