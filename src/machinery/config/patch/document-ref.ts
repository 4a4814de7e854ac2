import { isPlainMap } from "./json-value.ts";

/**
 * The identity of a config document: its `kind`, plus its `name` for kinds that may appear more
 * than once (`TrustedRootsConfig/company`). Singletons such as `MachineConfig` have no name.
 * apiVersion is not part of it: two versions of one kind never live in one config.
 */
export interface DocumentRef {
  readonly kind: string;
  readonly name?: string | undefined;
}

/** The document that patches without an explicit target (shorthand merges, JSON patches) address. */
export const DEFAULT_PATCH_TARGET: DocumentRef = { kind: "MachineConfig" };

/** Writes a document's identity as users type it in a JSON patch's `document` member: `Kind` or `Kind/name`. */
export function formatDocumentRef(ref: DocumentRef): string {
  return ref.name === undefined ? ref.kind : `${ref.kind}/${ref.name}`;
}

/**
 * Reads `Kind` or `Kind/name`. The name is everything after the first slash, because kinds never
 * contain one while names (paths, URLs) may. Returns undefined when there is no kind to read.
 */
export function parseDocumentRef(text: string): DocumentRef | undefined {
  const slash = text.indexOf("/");
  const kind = slash < 0 ? text : text.slice(0, slash);
  if (kind === "" || /\s/.test(kind)) return undefined;
  if (slash < 0) return { kind };
  const name = text.slice(slash + 1);
  return name === "" ? undefined : { kind, name };
}

/** The identity of a document value, or undefined when it has no string `kind` or a non-string `name`. */
export function documentRefOf(document: unknown): DocumentRef | undefined {
  if (!isPlainMap(document) || typeof document["kind"] !== "string") return undefined;
  const name = document["name"];
  if (name !== undefined && typeof name !== "string") return undefined;
  return name === undefined ? { kind: document["kind"] } : { kind: document["kind"], name };
}

/** Whether a document value has the given identity. */
export function hasDocumentRef(document: unknown, ref: DocumentRef): boolean {
  const own = documentRefOf(document);
  return own !== undefined && own.kind === ref.kind && own.name === ref.name;
}
