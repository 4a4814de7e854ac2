import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
  type Range,
} from "yaml";
import type { ConfigPath } from "./config-path.ts";

/** A place in a config file: 1-based line and column, and the character offset. */
export interface SourcePosition {
  line: number;
  column: number;
  offset: number;
  /** False when the path does not exist and the position is that of its nearest existing ancestor. */
  exact: boolean;
}

interface MappedDocument {
  index: number;
  ref: string | undefined;
  doc: Document.Parsed;
}

/** Longest chain of aliases followed while walking; anchors pointing at anchors are never deeper. */
const MAX_ALIAS_HOPS = 64;

/**
 * Maps a path in a config document to its line and column in the source text. Loader, validator,
 * patches and audits find problems in parsed values; this is how they point at the place a user
 * has to edit. A path that does not exist (a missing required field) maps to its nearest existing
 * ancestor, so every finding has a position.
 *
 * Documents are addressed by reference (`MachineConfig`, `TrustedRootsConfig/company`) or by their
 * 1-based position in the file.
 */
export class ConfigSourceMap {
  readonly #text: string;
  readonly #lines: LineCounter;
  readonly #documents: MappedDocument[];

  /** Use mapConfigSource; the constructor takes the parser's output so the loader parses once. */
  constructor(text: string, lines: LineCounter, documents: readonly Document.Parsed[]) {
    this.#text = text;
    this.#lines = lines;
    const seen = new Set<string>();
    this.#documents = documents.map((doc, i) => {
      let ref = documentRefOf(doc);
      if (ref !== undefined && seen.has(ref)) ref = undefined;
      if (ref !== undefined) seen.add(ref);
      return { index: i + 1, ref, doc };
    });
  }

  /** Number of documents in the file, empty ones included. */
  get documentCount(): number {
    return this.#documents.length;
  }

  /** The reference of the document at a 1-based position, when it has a recognisable kind. */
  refAt(index: number): string | undefined {
    return this.#documents[index - 1]?.ref;
  }

  /** The position of a character offset. */
  positionOf(offset: number): SourcePosition {
    const { line, col } = this.#lines.linePos(Math.max(0, Math.min(offset, this.#text.length)));
    return { line, column: col, offset, exact: true };
  }

  /**
   * The position of the value at `path` in a document (or of its key, with `at: "key"`). Unknown
   * documents map to the start of the file.
   */
  locate(
    document: string | number,
    path: ConfigPath,
    options: { at?: "key" | "value" } = {},
  ): SourcePosition {
    const mapped = this.#find(document);
    if (!mapped) return { ...this.positionOf(0), exact: false };
    const found = walk(mapped.doc, path);
    const node = options.at === "key" && found.exact && found.key ? found.key : found.node;
    const range = node?.range ?? mapped.doc.contents?.range ?? mapped.doc.range;
    return { ...this.positionOf(rangeStart(range)), exact: found.exact };
  }

  /** The source text of the scalar at `path` exactly as written (`1.30`, `yes`), for hints. */
  sourceText(document: string | number, path: ConfigPath): string | undefined {
    const mapped = this.#find(document);
    if (!mapped) return undefined;
    const found = walk(mapped.doc, path);
    if (!found.exact || !isScalar(found.node) || !found.node.range) return undefined;
    return this.#text.slice(found.node.range[0], found.node.range[1]).trim();
  }

  #find(document: string | number): MappedDocument | undefined {
    if (typeof document === "number") return this.#documents[document - 1];
    return this.#documents.find((d) => d.ref === document);
  }
}

/**
 * Builds a source map of a config text; never throws (a text that is not YAML maps every path to
 * the start of its document). For findings on text that was not loaded with parseConfig.
 */
export function mapConfigSource(text: string): ConfigSourceMap {
  const lines = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  return new ConfigSourceMap(text, lines, Array.isArray(documents) ? documents : []);
}

/** The reference of a parsed YAML document (`Kind` or `Kind/name`), read from its AST. */
export function documentRefOf(doc: Document.Parsed): string | undefined {
  const contents = doc.contents;
  if (!isMap(contents)) return undefined;
  const kind = contents.get("kind");
  if (typeof kind !== "string" || kind === "") return undefined;
  const name = contents.get("name");
  return typeof name === "string" && name !== "" ? `${kind}/${name}` : kind;
}

interface WalkResult {
  node: Node | undefined;
  key: Node | undefined;
  exact: boolean;
}

function walk(doc: Document.Parsed, path: ConfigPath): WalkResult {
  let node: Node | null | undefined = doc.contents;
  let key: Node | undefined;
  for (const segment of path) {
    const current = resolve(doc, node);
    if (isMap(current)) {
      const pair = current.items.find((p) => keyText(doc, p.key) === String(segment));
      if (!pair) return { node: current, key: undefined, exact: false };
      key = (pair.key as Node | null) ?? undefined;
      // `key:` with nothing after it has no value node: point at the key.
      node = (pair.value as Node | null) ?? key;
    } else if (isSeq(current) && typeof segment === "number") {
      const item = current.items[segment] as Node | undefined;
      if (item === undefined) return { node: current, key: undefined, exact: false };
      key = undefined;
      node = item;
    } else {
      return { node: current ?? undefined, key: undefined, exact: false };
    }
  }
  return { node: node ?? undefined, key, exact: true };
}

function resolve(doc: Document.Parsed, node: Node | null | undefined): Node | undefined {
  let current = node ?? undefined;
  for (let hops = 0; current && isAlias(current) && hops < MAX_ALIAS_HOPS; hops++) {
    try {
      current = current.resolve(doc) as Node | undefined;
    } catch {
      return undefined;
    }
  }
  return current;
}

function keyText(doc: Document.Parsed, key: unknown): string {
  const node = resolve(doc, key as Node | null);
  if (isScalar(node)) return String(node.value);
  return String(node);
}

function rangeStart(range: Range | null | undefined): number {
  return range ? range[0] : 0;
}
