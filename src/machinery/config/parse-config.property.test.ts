import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { isConfigError } from "./config-error.ts";
import { type ParsedConfig, parseConfig } from "./parse-config.ts";
import { serializeConfig } from "./serialize-config.ts";
import { SAMPLE_CONFIG } from "./testdata/sample-config.ts";

/**
 * Whatever the bytes, parseConfig returns or throws a ConfigError whose issues all point inside
 * the file. Anything else (a TypeError from yaml, a RangeError from deep nesting) is a crash a user
 * could trigger with a file.
 */
function assertParsesOrRejects(text: string): ParsedConfig | undefined {
  const lines = text.split(/\r\n|\r|\n/).length;
  try {
    const parsed = parseConfig(text, { file: "fuzz.yaml" });
    assert.ok(parsed.documents.length >= 1);
    return parsed;
  } catch (error) {
    if (!isConfigError(error))
      throw new Error(
        `parseConfig threw a non-config error for ${JSON.stringify(text.slice(0, 200))}: ${String(error)}`,
      );
    assert.ok(error.issues.length > 0);
    for (const issue of error.issues) {
      assert.ok(
        issue.line >= 1 && issue.line <= lines + 1,
        `line ${issue.line} outside the file (${lines} lines)`,
      );
      assert.ok(issue.column >= 1, `column ${issue.column}`);
      assert.ok(issue.message.length > 0);
    }
    return undefined;
  }
}

test("arbitrary text never makes parseConfig throw anything but a config error", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 300 }), (text) => {
      assertParsesOrRejects(text);
    }),
    { numRuns: 2000 },
  );
});

test("arbitrary bytes, read as UTF-8 or Latin-1, never crash parseConfig", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, utf8) => {
      assertParsesOrRejects(Buffer.from(bytes).toString(utf8 ? "utf8" : "latin1"));
    }),
    { numRuns: 2000 },
  );
});

const YAML_PIECES = [
  "apiVersion: stele.dev/v1alpha1\n",
  "kind: MachineConfig\n",
  "kind: TrustedRootsConfig\n",
  "name: x\n",
  "---\n",
  "...\n",
  "%YAML 1.1\n",
  "%TAG ! tag:x,2000:\n",
  "- ",
  "? ",
  ": ",
  "key",
  "__proto__",
  "constructor",
  "&a ",
  "*a",
  "*b",
  "<<: *a\n",
  "!!binary ",
  "!!str ",
  "!x ",
  "[",
  "]",
  "{",
  "}",
  ",",
  "'",
  '"',
  "|\n",
  ">-\n",
  "#",
  "\n",
  "  ",
  "\t",
  "0o777",
  "1e400",
  "-.inf",
  "~",
  "null",
  "\uFEFF",
  "\u2028",
];

test("YAML-shaped noise never crashes parseConfig", () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...YAML_PIECES), { maxLength: 40 }), (pieces) => {
      assertParsesOrRejects(pieces.join(""));
    }),
    { numRuns: 2000 },
  );
});

/** One edit of the kind people and broken tools make to a file. */
const mutation = fc.oneof(
  fc.record({ op: fc.constant("delete-line" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("duplicate-line" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("swap-lines" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("indent-line" as const), at: fc.nat(), by: fc.constantFrom(" ", "  ", "\t") }),
  fc.record({ op: fc.constant("swap-chars" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("delete-char" as const), at: fc.nat() }),
  fc.record({
    op: fc.constant("insert-char" as const),
    at: fc.nat(),
    char: fc.constantFrom(":", "-", " ", "\n", "'", '"', "[", "{", "&", "*", "!", "#", "|", "0", "x", "\0"),
  }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(text: string, m: Mutation): string {
  const lines = text.split("\n");
  const line = m.at % lines.length;
  const pos = m.at % Math.max(1, text.length);
  switch (m.op) {
    case "delete-line":
      lines.splice(line, 1);
      return lines.join("\n");
    case "duplicate-line":
      lines.splice(line, 0, lines[line]!);
      return lines.join("\n");
    case "swap-lines": {
      const next = (line + 1) % lines.length;
      [lines[line], lines[next]] = [lines[next]!, lines[line]!];
      return lines.join("\n");
    }
    case "indent-line":
      lines[line] = m.by + lines[line];
      return lines.join("\n");
    case "swap-chars":
      return pos + 1 < text.length
        ? text.slice(0, pos) + text[pos + 1] + text[pos] + text.slice(pos + 2)
        : text;
    case "delete-char":
      return text.slice(0, pos) + text.slice(pos + 1);
    case "insert-char":
      return text.slice(0, pos) + m.char + text.slice(pos);
  }
}

test("mutations of a valid config are parsed or rejected, and what parses round-trips", () => {
  assert.doesNotThrow(() => parseConfig(SAMPLE_CONFIG, { file: "sample.yaml" }));
  fc.assert(
    fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
      const parsed = assertParsesOrRejects(mutations.reduce(mutate, SAMPLE_CONFIG));
      if (!parsed) return;
      assert.deepEqual(
        parseConfig(serializeConfig(parsed.documents), { file: "again.yaml" }).documents,
        parsed.documents,
      );
    }),
    { numRuns: 2000 },
  );
});
