import type { ConfigDocument, ConfigDocumentOf, ConfigKind } from "./schema/config-kinds.ts";

/**
 * The reference of a document, how users, patches and messages name it: its kind, plus `/name`
 * for repeatable kinds (`TrustedRootsConfig/company`). Unique within a loaded config.
 */
export function documentRef(document: { kind: string; name?: unknown }): string {
  return typeof document.name === "string" ? `${document.kind}/${document.name}` : document.kind;
}

/**
 * The document of a kind (and name, for repeatable kinds), typed by its kind, or undefined. The
 * loader guarantees references are unique, so there is at most one match.
 */
export function findDocument<K extends ConfigKind>(
  documents: readonly ConfigDocument[],
  kind: K,
  name?: string,
): ConfigDocumentOf<K> | undefined {
  return documents.find(
    (d): d is ConfigDocumentOf<K> =>
      d.kind === kind && (name === undefined || (d as { name?: string }).name === name),
  );
}

/** Every document of a kind, in file order (for repeatable kinds). */
export function findDocuments<K extends ConfigKind>(
  documents: readonly ConfigDocument[],
  kind: K,
): ConfigDocumentOf<K>[] {
  return documents.filter((d): d is ConfigDocumentOf<K> => d.kind === kind);
}
