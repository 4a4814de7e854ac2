import type { z } from "zod";

/**
 * Small readers of zod schemas, for messages: which fields an object accepts (for "did you mean")
 * and what a field is for (for hints on missing fields). They look through wrappers (optional,
 * default, pipe) the way a user reads the schema: by the fields they can write.
 */

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

const WRAPPERS = new Set(["optional", "default", "prefault", "nullable", "readonly", "catch", "nonoptional"]);

/** The schema under optional/default/pipe wrappers. */
export function unwrapSchema(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let i = 0; i < 16; i++) {
    const def = defOf(current);
    if (WRAPPERS.has(def.type) && def.innerType) current = def.innerType;
    else if (def.type === "pipe" && def.in) current = def.in;
    else break;
  }
  return current;
}

/** The schema of the value at a path, or undefined when the schema has no such place. */
export function schemaAtPath(schema: z.ZodType, path: ReadonlyArray<string | number>): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema;
  for (const segment of path) {
    if (!current) return undefined;
    const def = defOf(unwrapSchema(current));
    if (def.type === "object" && def.shape)
      current = Object.hasOwn(def.shape, segment) ? def.shape[segment] : undefined;
    else if (def.type === "array") current = def.element;
    else if (def.type === "record") current = def.valueType;
    else return undefined;
  }
  return current;
}

/** The field names an object schema accepts, in declaration order (empty for non-objects). */
export function knownFields(schema: z.ZodType | undefined): string[] {
  if (!schema) return [];
  const def = defOf(unwrapSchema(schema));
  return def.type === "object" && def.shape ? Object.keys(def.shape) : [];
}

/** The description of a schema, looking through wrappers (a description may sit on any of them). */
export function schemaDescription(schema: z.ZodType | undefined): string | undefined {
  let current = schema;
  for (let i = 0; current && i < 16; i++) {
    if (current.description) return current.description;
    const def = defOf(current);
    current = WRAPPERS.has(def.type) ? def.innerType : def.type === "pipe" ? def.in : undefined;
  }
  return undefined;
}

/** Whether a schema takes integers only (zod reports a string given to it as "expected number"). */
export function isIntegerSchema(schema: z.ZodType | undefined): boolean {
  if (!schema) return false;
  const def = defOf(unwrapSchema(schema)) as Def & { format?: string };
  return def.type === "number" && typeof def.format === "string" && def.format.includes("int");
}
