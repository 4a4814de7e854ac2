import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { KmsgRecord } from "../../../pkg/linux/index.ts";
import { fakeKmsg } from "./fake-kmsg.ts";
import { KernelLogSource, type KmsgReader } from "./kernel-log-source.ts";
import { until } from "./shipping/test-collector.ts";

const closing: (() => void)[] = [];
after(() => {
  for (const close of closing) close();
});

test("the source reads every record in the ring from the oldest, then new ones as they come", async () => {
  const kmsg = fakeKmsg([
    "6,0,0,-;Linux version 6.12\n",
    "not a record",
    "4,1,1500,-;ACPI: warning\n SUBSYSTEM=acpi\n",
  ]);
  const seen: KmsgRecord[] = [];
  const source = new KernelLogSource({ open: () => kmsg, onRecord: (r) => seen.push(r), pollMs: 5 });
  closing.push(() => source.close());
  assert.equal(source.start(), true);
  assert.deepEqual(
    seen.map((r) => [r.seq, r.level, r.message]),
    [
      [0, "info", "Linux version 6.12"],
      [1, "warning", "ACPI: warning"],
    ],
  );
  kmsg.push("3,2,9000,-;eth0: link down\n");
  await until(() => seen.length === 3, "the later record");
  source.close();
  assert.equal(kmsg.closed, true);
});

test("a burst is read in bounded batches, without losing or reordering records", async () => {
  const kmsg = fakeKmsg(Array.from({ length: 1000 }, (_, i) => `6,${i},${i},-;line ${i}\n`));
  const seen: number[] = [];
  let reads = 0;
  const counting: KmsgReader = {
    read: () => {
      reads += 1;
      return kmsg.read();
    },
    close: () => kmsg.close(),
  };
  const source = new KernelLogSource({ open: () => counting, onRecord: (r) => seen.push(r.seq), batch: 100 });
  closing.push(() => source.close());
  source.start();
  assert.equal(seen.length, 100, "the first poll stops at the batch size");
  await until(() => seen.length === 1000, "every record");
  assert.deepEqual(
    seen,
    Array.from({ length: 1000 }, (_, i) => i),
  );
  assert.ok(reads >= 1000);
});

test("a device that cannot be opened is reported, not thrown", () => {
  const errors: string[] = [];
  const source = new KernelLogSource({
    open: () => {
      throw new Error("EACCES: permission denied, open '/dev/kmsg'");
    },
    onRecord: () => assert.fail("no record"),
    onError: (error) => errors.push(error.message),
  });
  assert.equal(source.start(), false);
  assert.deepEqual(errors, ["EACCES: permission denied, open '/dev/kmsg'"]);
});
