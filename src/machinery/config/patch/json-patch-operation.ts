import { parseDocumentRef } from "./document-ref.ts";
import { parseJsonPointer } from "./json-pointer.ts";
import { isPlainMap } from "./json-value.ts";
import { PatchFault } from "./patch-error.ts";

/**
 * One RFC 6902 operation. `document` is Stele's extra member (RFC 6902 §4 lets operations carry
 * members it does not define): `ClusterConfig` or `TrustedRootsConfig/company` addresses that
 * document instead of `MachineConfig`.
 */
export type JsonPatchOperation =
  | {
      readonly op: "add" | "replace" | "test";
      readonly path: string;
      readonly value: unknown;
      readonly document?: string;
    }
  | { readonly op: "remove"; readonly path: string; readonly document?: string }
  | {
      readonly op: "move" | "copy";
      readonly from: string;
      readonly path: string;
      readonly document?: string;
    };

const OPS = ["add", "remove", "replace", "move", "copy", "test"] as const;

const SHAPE_HINT =
  "Write each operation as in RFC 6902, e.g. { op: replace, path: /network/hostname, value: node-1 }; " +
  "ops are add, remove, replace, move, copy and test";

/**
 * Checks that a parsed value is a well-formed operation and returns it typed. Pointers are parsed
 * here too, so a malformed pointer is reported when the patch is read, before anything is applied.
 * Members RFC 6902 does not define are ignored, as it requires; `document` is checked when present.
 */
export function toJsonPatchOperation(raw: unknown): JsonPatchOperation {
  if (!isPlainMap(raw)) throw new PatchFault("an operation must be a map with op and path", SHAPE_HINT);
  const op = Object.hasOwn(raw, "op") ? raw["op"] : undefined;
  if (typeof op !== "string") throw new PatchFault("the operation has no op", SHAPE_HINT);
  if (!(OPS as readonly string[]).includes(op))
    throw new PatchFault(`unknown op ${JSON.stringify(op)}`, SHAPE_HINT);
  const path = stringMember(raw, "path");
  parseJsonPointer(path);
  const document = Object.hasOwn(raw, "document") ? raw["document"] : undefined;
  if (document !== undefined && (typeof document !== "string" || parseDocumentRef(document) === undefined)) {
    throw new PatchFault(
      `document must be a kind or kind/name, got ${JSON.stringify(document)}`,
      "Name the document to patch as ClusterConfig or TrustedRootsConfig/company; leave it out for MachineConfig",
    );
  }
  const target = document === undefined ? {} : { document };
  switch (op) {
    case "remove":
      return { op, path, ...target };
    case "move":
    case "copy": {
      const from = stringMember(raw, "from");
      parseJsonPointer(from);
      return { op, from, path, ...target };
    }
    default: {
      if (!Object.hasOwn(raw, "value")) {
        throw new PatchFault(`${op} needs a value`, `Give the ${op} operation a value member`);
      }
      return { op: op as "add" | "replace" | "test", path, value: raw["value"], ...target };
    }
  }
}

function stringMember(raw: Record<string, unknown>, member: "path" | "from"): string {
  const value = Object.hasOwn(raw, member) ? raw[member] : undefined;
  if (typeof value !== "string") {
    throw new PatchFault(
      value === undefined ? `the operation has no ${member}` : `${member} must be a string JSON pointer`,
      SHAPE_HINT,
    );
  }
  return value;
}
