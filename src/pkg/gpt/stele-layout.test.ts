import assert from "node:assert/strict";
import { test } from "node:test";
import { GptError } from "./gpt-error.ts";
import { LEGACY_BIOS_BOOTABLE, PartitionType } from "./partition-types.ts";
import { steleLayout } from "./stele-layout.ts";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

test("the Stele plan: EFI, BIOS, BOOT-A, BOOT-B, META, STATE, then EPHEMERAL to the end, on 1 MiB boundaries", () => {
  const layout = steleLayout(4 * GiB, { bootSize: 150 * MiB });
  const rows = layout.partitions.map((p) => [p.name, p.type, (p.lastLba - p.firstLba + 1) * 512]);
  assert.deepEqual(rows.slice(0, 6), [
    ["EFI", PartitionType.efiSystem, 100 * MiB],
    ["BIOS", PartitionType.biosBoot, 1 * MiB],
    ["BOOT-A", PartitionType.linuxFilesystem, 150 * MiB],
    ["BOOT-B", PartitionType.linuxFilesystem, 150 * MiB],
    ["META", PartitionType.linuxFilesystem, 1 * MiB],
    ["STATE", PartitionType.linuxFilesystem, 100 * MiB],
  ]);
  const ephemeral = layout.partitions[6]!;
  assert.equal(ephemeral.name, "EPHEMERAL");
  // The rest of the disk, less the last (partial) MiB that holds the backup GPT.
  assert.equal((ephemeral.lastLba + 1) * 512, 4 * GiB - MiB);
  assert.equal(layout.partitions[0]!.firstLba, 2048);
  for (const [i, p] of layout.partitions.entries()) {
    assert.equal(p.firstLba % 2048, 0, `${p.name} starts on a MiB`);
    assert.equal((p.lastLba + 1) % 2048, 0, `${p.name} ends on a MiB`);
    if (i > 0)
      assert.equal(p.firstLba, layout.partitions[i - 1]!.lastLba + 1, `${p.name} follows without a gap`);
  }
});

test("only the BIOS boot partition is legacy-BIOS-bootable", () => {
  const layout = steleLayout(4 * GiB, { bootSize: 100 * MiB });
  assert.deepEqual(
    layout.partitions.filter((p) => (p.attributes ?? 0n) & LEGACY_BIOS_BOOTABLE).map((p) => p.name),
    ["BIOS"],
  );
});

test("boot slots are rounded up to a whole MiB", () => {
  const layout = steleLayout(4 * GiB, { bootSize: 100 * MiB + 1 });
  const bootA = layout.partitions[2]!;
  assert.equal((bootA.lastLba - bootA.firstLba + 1) * 512, 101 * MiB);
});

test("4096-byte sectors give the same byte layout", () => {
  const small = steleLayout(4 * GiB, { bootSize: 150 * MiB });
  const large = steleLayout(4 * GiB, { bootSize: 150 * MiB, sectorSize: 4096 });
  assert.equal(large.sectorSize, 4096);
  assert.deepEqual(
    large.partitions.map((p) => [p.firstLba * 4096, (p.lastLba + 1) * 4096]),
    small.partitions.map((p) => [p.firstLba * 512, (p.lastLba + 1) * 512]),
  );
});

test("too small a disk is refused with the size it needs, and that size is enough", () => {
  const options = { bootSize: 200 * MiB, minEphemeralSize: 512 * MiB };
  let needed = 0;
  assert.throws(
    () => steleLayout(1 * GiB, options),
    (error: unknown) => {
      assert.ok(error instanceof GptError);
      assert.equal(error.code, "failed-precondition");
      const match =
        /Disk too small for Stele: 1073741824 bytes \(1024 MiB\), the layout needs at least (\d+) bytes \(\d+ MiB\)$/.exec(
          error.message,
        );
      assert.ok(match, error.message);
      needed = Number(match[1]);
      assert.match(error.hint, /Use a disk of at least \d+ MiB/);
      return true;
    },
  );
  // 1 MiB of alignment, EFI, BIOS, 2 boot slots, META, STATE, EPHEMERAL, then 33 sectors of backup GPT.
  assert.equal(needed, (1 + 100 + 1 + 400 + 1 + 100 + 512) * MiB + 33 * 512);
  const ephemeral = steleLayout(needed, options).partitions[6]!;
  assert.equal((ephemeral.lastLba - ephemeral.firstLba + 1) * 512, 512 * MiB);
  assert.throws(() => steleLayout(needed - 1, options), /Disk too small/);
});

test("a boot slot size that is not a positive number of bytes is refused", () => {
  assert.throws(() => steleLayout(4 * GiB, { bootSize: 0 }), /Invalid boot slot size: 0/);
  assert.throws(() => steleLayout(4 * GiB, { bootSize: Number.NaN }), /Invalid boot slot size/);
});
