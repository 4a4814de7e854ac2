import { parse } from "yaml";
import type { Resource } from "../../machinery/api/resource/v1alpha1/resource.ts";

/**
 * The spec of a resource as a value: the node sends it as YAML bytes (exact integers, key order),
 * and a spec that does not parse is shown as its text rather than hidden, since it is still what
 * the node holds.
 */
export function parseResourceSpec(resource: Resource): unknown {
  const text = Buffer.from(resource.spec?.yaml ?? new Uint8Array()).toString("utf8");
  if (text.trim() === "") return {};
  try {
    return parse(text, { intAsBigInt: false });
  } catch {
    return text;
  }
}
