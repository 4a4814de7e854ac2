import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  formatDroppedMarker,
  formatShippedLine,
  type ShippedLine,
  truncateShippedLine,
} from "./shipped-line.ts";

const time = new Date("2026-01-02T03:04:05.678Z");

test("formatShippedLine writes the documented fields", () => {
  const json = formatShippedLine("etcd", { seq: 7, time, stream: "stderr", line: "hello" }, { node: "n1" });
  assert.deepEqual(JSON.parse(json), {
    time: "2026-01-02T03:04:05.678Z",
    service: "etcd",
    stream: "stderr",
    seq: 7,
    msg: "hello",
    node: "n1",
  });
});

test("formatDroppedMarker says how many lines were dropped", () => {
  const marker = JSON.parse(formatDroppedMarker(12, { node: "n1", now: time })) as ShippedLine;
  assert.equal(marker.msg, "stele: 12 log lines dropped while the collector was unreachable");
  assert.deepEqual([marker.service, marker.seq, marker.dropped, marker.node], ["machined", 0, 12, "n1"]);
});

test("truncateShippedLine leaves a line that fits unchanged", () => {
  const json = formatShippedLine("s", { seq: 1, time, stream: "stdout", line: "short" }, { node: "n" });
  assert.equal(truncateShippedLine(json, 1_000), json);
});

test("truncateShippedLine cuts msg only: valid JSON within the limit, a prefix of msg, and a marker", () => {
  fc.assert(
    fc.property(
      fc.string({ unit: "binary", minLength: 1, maxLength: 400 }),
      fc.integer({ min: 200, max: 600 }),
      (msg, max) => {
        const json = formatShippedLine(
          "svc",
          { seq: 3, time, stream: "stdout", line: msg },
          { node: "node" },
        );
        const cut = truncateShippedLine(json, max);
        if (Buffer.byteLength(json) <= max) return assert.equal(cut, json);
        assert.ok(Buffer.byteLength(cut) <= max, `${Buffer.byteLength(cut)} > ${max}`);
        const parsed = JSON.parse(cut) as ShippedLine;
        const match = /^([\s\S]*) …\[truncated (\d+) bytes\]$/.exec(parsed.msg);
        assert.ok(match, parsed.msg);
        assert.ok(msg.startsWith(match[1] as string));
        assert.deepEqual([parsed.service, parsed.seq, parsed.node], ["svc", 3, "node"]);
      },
    ),
  );
});
