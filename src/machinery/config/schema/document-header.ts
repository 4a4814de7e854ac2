import { z } from "zod";
import { CONFIG_API_VERSION } from "../../constants.ts";
import { resourceName } from "./formats.ts";

/**
 * The fields every document starts with. `apiVersion` and `kind` are literals so the inferred types
 * form a union discriminated by `kind`; the loader checks them first and explains a wrong one
 * before the schema runs.
 */
export function documentHeader<K extends string>(kind: K) {
  return {
    apiVersion: z.literal(CONFIG_API_VERSION).describe(`Always \`${CONFIG_API_VERSION}\``),
    kind: z.literal(kind).describe(`Always \`${kind}\``),
  };
}

/** The `name` of a document kind that may appear several times; it identifies the document in patches. */
export const documentName = resourceName.describe(
  "Identifies this document among others of its kind (lowercase letters, digits and '-')",
);
