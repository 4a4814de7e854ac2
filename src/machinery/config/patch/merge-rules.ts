/**
 * # How Stele merges config patches
 *
 * Patches come in three forms, told apart by `parsePatch`:
 *
 * 1. Strategic merge patch: YAML documents that carry `apiVersion` + `kind` (+ `name`). Each one
 *    merges into the config document with the same identity (kind + name). A patch document whose
 *    identity is not in the config is added as a new document. A document that is only
 *    `apiVersion`/`kind`/`name` + `$patch: delete` removes that document (an error if it is absent).
 * 2. Shorthand: a strategic patch document without `apiVersion` and `kind` targets `MachineConfig`.
 * 3. RFC 6902 JSON patch: one YAML or JSON list of operations (add, remove, replace, move, copy,
 *    test). They apply to `MachineConfig` unless an operation carries `document: "ClusterConfig"`
 *    or `document: "TrustedRootsConfig/company"` (RFC 6902 lets operations carry extra members).
 *
 * Strategic merge, value by value:
 * - maps merge recursively; scalars replace; a value of another type replaces;
 * - `null` is an error: removal is spelled `key: { $patch: delete }`, which fails if the key is
 *   absent, so a misspelt key never passes silently;
 * - `$patch: replace` inside a map replaces that map instead of merging into it;
 * - lists follow exactly one rule per list path, from the table below: merge by key,
 *   append-unique, or (every list not in the table) replace. Nothing ever appends by accident.
 *   In a keyed list, `{ name: x, $patch: delete }` removes the element `x` (an error if absent).
 *   A list element that is only `{ $patch: replace }` makes any list replace, e.g. to drop an
 *   entry from an append-unique list.
 *
 * So every strategic patch without `$patch: delete` is idempotent: applying it twice gives what
 * applying it once gives. Deletes are not: re-deleting what is already gone fails loudly ("patch
 * targets a missing path"), which is what a user re-running a one-off removal wants to hear, and
 * an element deleted and re-added by one patch moves to the end of its list each time.
 *
 * This table is the single source of the list rules; README.md repeats it for users and a test
 * keeps the two equal.
 */

/** How a list in a config document merges with the list a strategic patch gives for it. */
export type ListRule =
  | {
      /** Elements are maps matched on `key`: a match is merged into, anything else appended. */
      readonly type: "merge-by-key";
      readonly key: string;
    }
  | {
      /** A set that keeps order: patch elements not already present are appended. */
      readonly type: "append-unique";
    }
  | {
      /** The patch's list wins. The rule for every list path not in the table. */
      readonly type: "replace";
    };

/** One row of the rule table: a list path inside documents of one kind, and its rule. */
export interface MergeRule {
  /** The document kind the path lives in. */
  readonly kind: string;
  /** Dotted keys; `[]` steps into the elements of a list: `network.interfaces[].routes`. */
  readonly path: string;
  readonly rule: ListRule;
}

const byKey = (key: string): ListRule => ({ type: "merge-by-key", key });
const appendUnique: ListRule = { type: "append-unique" };

/**
 * Every list that does not simply replace. Keyed lists are those whose elements have a natural
 * identity users patch one at a time (an interface, a file, a manifest); append-unique lists are
 * sets of strings where adding one must not drop those a generated config already holds.
 */
export const mergeRules: readonly MergeRule[] = [
  { kind: "MachineConfig", path: "network.interfaces", rule: byKey("name") },
  { kind: "MachineConfig", path: "network.interfaces[].routes", rule: byKey("network") },
  { kind: "MachineConfig", path: "files", rule: byKey("path") },
  { kind: "MachineConfig", path: "logging.destinations", rule: byKey("endpoint") },
  { kind: "ClusterConfig", path: "inlineManifests", rule: byKey("name") },
  { kind: "TrustedKeysConfig", path: "keys", rule: byKey("name") },
  { kind: "ExtensionsConfig", path: "extensions", rule: byKey("name") },
  { kind: "MachineConfig", path: "certSANs", rule: appendUnique },
  { kind: "ClusterConfig", path: "apiServer.certSANs", rule: appendUnique },
  { kind: "MachineConfig", path: "install.extraKernelArgs", rule: appendUnique },
];

/** Marks "the elements of a list" in a rule path, distinct from any key a document could hold. */
export const LIST_ELEMENT: unique symbol = Symbol("list element");

/** A step of a rule path: a map key, or into the elements of a list. */
export type RuleSegment = string | typeof LIST_ELEMENT;

const REPLACE: ListRule = { type: "replace" };

/** Splits `network.interfaces[].routes` into `network`, `interfaces`, LIST_ELEMENT, `routes`. */
function toSegments(path: string): RuleSegment[] {
  return path.split(".").flatMap((part) => {
    const segments: RuleSegment[] = [];
    let rest = part;
    while (rest.endsWith("[]")) {
      segments.unshift(LIST_ELEMENT);
      rest = rest.slice(0, -2);
    }
    return [rest, ...segments];
  });
}

const compiled = mergeRules.map((row) => ({
  kind: row.kind,
  segments: toSegments(row.path),
  rule: row.rule,
}));

/**
 * The rule for the list at `path` (segments from the document root) in a document of `kind`.
 * Paths are compared segment by segment, never as joined strings, so a key that contains a dot
 * cannot impersonate a nested path.
 */
export function listRuleFor(kind: string, path: readonly RuleSegment[]): ListRule {
  const row = compiled.find(
    (candidate) =>
      candidate.kind === kind &&
      candidate.segments.length === path.length &&
      candidate.segments.every((segment, index) => segment === path[index]),
  );
  return row?.rule ?? REPLACE;
}
