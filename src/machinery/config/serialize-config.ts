import { isDeepStrictEqual } from "node:util";
import { Document, isScalar } from "yaml";
import type { z } from "zod";
import { CONFIG_KINDS, type ConfigDocument, isConfigKind } from "./schema/config-kinds.ts";
import { unwrapSchema } from "./schema/schema-introspection.ts";

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
}

const HEADER = ["apiVersion", "kind", "name"];

/**
 * Writes documents as canonical multi-document YAML: documents in the order given; in each,
 * `apiVersion`, `kind` and `name` first, then fields in schema order; map-valued settings
 * (sysctls, extraArgs, mirrors) sorted by key; PEM and other multi-line text as literal block
 * scalars (`|`) so `openssl` reads a copied certificate and diffs stay legible; file permissions
 * in octal (`0o644`). No line folding, so long values stay on one line.
 *
 * By default a field whose value equals its default is left out (`debug: false`, empty sections),
 * so a config shows what was chosen and the reference documents the rest; `defaults: "keep"`
 * writes everything. Either way two equal configs serialize to the same bytes, and parseConfig of
 * the output deep-equals the input documents (defaults are filled in again).
 */
export function serializeConfig(
  documents: readonly ConfigDocument[],
  options: { defaults?: "omit" | "keep" } = {},
): string {
  const omitDefaults = (options.defaults ?? "omit") === "omit";
  return documents.map((document) => serializeDocument(document, omitDefaults)).join("---\n");
}

function serializeDocument(document: ConfigDocument, omitDefaults: boolean): string {
  const schema = isConfigKind(document.kind) ? CONFIG_KINDS[document.kind].schema : undefined;
  const ordered = canonical(document, schema, { top: true, omitDefaults });
  const doc = new Document(ordered);
  if (document.kind === "MachineConfig") {
    document.files.forEach((_, i) => {
      const node = doc.getIn(["files", i, "permissions"], true);
      if (isScalar(node)) node.format = "OCT";
    });
  }
  return doc.toString({ blockQuote: "literal", lineWidth: 0, indentSeq: true });
}

interface CanonicalOptions {
  top?: boolean;
  omitDefaults: boolean;
}

function canonical(value: unknown, schema: z.ZodType | undefined, options: CanonicalOptions): unknown {
  if (value === null || typeof value !== "object") return value;
  const nested = { omitDefaults: options.omitDefaults };
  const def = schema ? defOf(unwrapSchema(schema)) : undefined;
  if (Array.isArray(value))
    return value.map((item) => canonical(item, def?.type === "array" ? def.element : undefined, nested));
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  if (def?.type === "record") {
    for (const key of Object.keys(source).sort()) out[key] = canonical(source[key], def.valueType, nested);
    return out;
  }
  const shape = def?.type === "object" ? (def.shape ?? {}) : {};
  const order = [...(options.top ? HEADER : []), ...Object.keys(shape)];
  for (const key of order) {
    if (!Object.hasOwn(source, key) || Object.hasOwn(out, key)) continue;
    const field = shape[key];
    if (options.omitDefaults && field && isDefault(field, source[key])) continue;
    out[key] = canonical(source[key], field, nested);
  }
  for (const key of Object.keys(source))
    if (!Object.hasOwn(out, key) && !Object.hasOwn(shape, key))
      out[key] = canonical(source[key], undefined, nested);
  return out;
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** What each defaulted field becomes when left out, computed once per schema. */
const absentValues = new WeakMap<z.ZodType, { value: unknown }>();

/** Whether a value is what the field becomes when it is left out (only fields with a default have one). */
function isDefault(field: z.ZodType, value: unknown): boolean {
  let absent = absentValues.get(field);
  if (!absent) {
    const type = defOf(field).type;
    const parsed = type === "default" || type === "prefault" ? field.safeParse(undefined) : undefined;
    absent = { value: parsed?.success ? parsed.data : NO_DEFAULT };
    absentValues.set(field, absent);
  }
  return absent.value !== NO_DEFAULT && isDeepStrictEqual(absent.value, value);
}

const NO_DEFAULT = Symbol("no default");
