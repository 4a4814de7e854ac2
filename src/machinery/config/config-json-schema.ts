import { z } from "zod";
import { CONFIG_API_VERSION } from "../constants.ts";
import { CONFIG_KIND_NAMES, CONFIG_KINDS, type ConfigKind } from "./schema/config-kinds.ts";

/** Base of the `$id` of the published schemas; versioned like the documents they describe. */
export const CONFIG_SCHEMA_ID_BASE = `https://stele.dev/schemas/${CONFIG_API_VERSION.split("/")[1]}`;

/**
 * The JSON Schema (draft 2020-12) of one document kind, or, without a kind, of any config
 * document (a `oneOf` over the kinds, for editors that validate each document of a YAML stream
 * against one schema). Derived from the zod schemas, describing what may be written (defaulted
 * fields are optional). Checks that JSON Schema cannot express (key/certificate pairs, the
 * Kubernetes version policy) are validateConfig's.
 */
export function configJsonSchema(kind?: ConfigKind): Record<string, unknown> {
  if (kind !== undefined) {
    return {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      $id: `${CONFIG_SCHEMA_ID_BASE}/${kind}.json`,
      title: kind,
      ...withoutSchemaKey(kindSchema(kind)),
    };
  }
  const defs: Record<string, unknown> = {};
  for (const name of CONFIG_KIND_NAMES) defs[name] = { title: name, ...withoutSchemaKey(kindSchema(name)) };
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: `${CONFIG_SCHEMA_ID_BASE}/config.json`,
    title: "Stele machine config document",
    description: `One document of a Stele machine config (apiVersion ${CONFIG_API_VERSION}); the kind selects the schema`,
    oneOf: CONFIG_KIND_NAMES.map((name) => ({ $ref: `#/$defs/${name}` })),
    $defs: defs,
  };
}

function kindSchema(kind: ConfigKind): Record<string, unknown> {
  return z.toJSONSchema(CONFIG_KINDS[kind].schema, {
    io: "input",
    target: "draft-2020-12",
    override: restoreAnnotations,
  }) as Record<string, unknown>;
}

/**
 * zod leaves out `default` and `examples` where a value is coerced (integers and booleans accepted
 * as text in `sysctls` and `extraArgs`), and bounds plain integers by the safe-integer range. Put
 * back the annotations editors and the reference show, and drop bounds no user wrote.
 */
function restoreAnnotations(ctx: { zodSchema: unknown; jsonSchema: Record<string, unknown> }): void {
  const schema = ctx.zodSchema as z.ZodType;
  const def = (schema as unknown as { _zod: { def: { type: string; defaultValue?: unknown } } })._zod.def;
  const json = ctx.jsonSchema;
  if ((def.type === "default" || def.type === "prefault") && !("default" in json)) {
    json["default"] = JSON.parse(JSON.stringify(def.defaultValue));
  }
  const meta = z.globalRegistry.get(schema);
  if (meta?.examples !== undefined && !("examples" in json)) json["examples"] = meta.examples;
  if (json["minimum"] === Number.MIN_SAFE_INTEGER) delete json["minimum"];
  if (json["maximum"] === Number.MAX_SAFE_INTEGER) delete json["maximum"];
}

function withoutSchemaKey(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _, ...rest } = schema;
  return rest;
}
