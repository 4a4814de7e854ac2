import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { isSteleError } from "../../../machinery/errors.ts";
import type { LogEntry } from "./log-entry.ts";
import { formatLogLine, parseLogLine } from "./log-line-json.ts";

test("writes the documented JSON line format", () => {
  const entry: LogEntry = {
    seq: 7,
    time: new Date("2025-03-01T12:00:00.5Z"),
    stream: "stderr",
    line: 'say "hi"',
  };
  assert.equal(
    formatLogLine(entry),
    '{"t":"2025-03-01T12:00:00.500Z","s":"stderr","seq":7,"msg":"say \\"hi\\""}',
  );
});

test("property: every entry reads back exactly, as one line", () => {
  fc.assert(
    fc.property(
      fc.record({
        seq: fc.nat(),
        time: fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(253402300799000) }),
        stream: fc.constantFrom("stdout", "stderr", "machined"),
        line: fc.string({ unit: "binary", maxLength: 200 }),
      }),
      fc.option(fc.integer({ min: 1, max: 1e6 }), { nil: undefined }),
      (base, lost) => {
        const entry: LogEntry = lost === undefined ? { ...base } : { ...base, lost };
        const text = formatLogLine(entry);
        assert.ok(!text.includes("\n"));
        assert.deepEqual(parseLogLine(text), entry);
      },
    ),
  );
});

for (const [text, detail] of [
  ["not json", /not JSON/],
  ["[]", /"t" is not an ISO time/],
  ['{"t":"x","s":"stdout","seq":1,"msg":""}', /"t" is not an ISO time/],
  ['{"t":"2025-01-01T00:00:00Z","s":"tty","seq":1,"msg":""}', /"s" is not one of stdout, stderr, machined/],
  ['{"t":"2025-01-01T00:00:00Z","s":"stdout","seq":-1,"msg":""}', /"seq"/],
  ['{"t":"2025-01-01T00:00:00Z","s":"stdout","seq":1,"msg":3}', /"msg"/],
] as const) {
  test(`refuses ${text} with the reason`, () => {
    assert.throws(
      () => parseLogLine(text),
      (error: unknown) => isSteleError(error) && detail.test(error.message) && !!error.hint,
    );
  });
}
