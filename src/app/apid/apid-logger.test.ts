import assert from "node:assert/strict";
import { test } from "node:test";
import { jsonLineLogger } from "./apid-logger.ts";

test("each entry is one JSON line with time, level, message and fields; errors keep their message", () => {
  const written: string[] = [];
  const logger = jsonLineLogger({ write: (chunk: string) => written.push(chunk) > 0 });
  logger.warn({ peer: "a\nb", error: new Error("boom") }, "Permission denied:\nmulti-line");
  assert.equal(written.length, 1);
  assert.ok(written[0]?.endsWith("\n"));
  assert.equal(written[0]?.trimEnd().includes("\n"), false);
  const line = JSON.parse(written[0] ?? "");
  assert.equal(line.level, "warn");
  assert.equal(line.msg, "Permission denied:\nmulti-line");
  assert.equal(line.peer, "a\nb");
  assert.equal(line.error, "boom");
  assert.ok(!Number.isNaN(Date.parse(line.time)));
});
