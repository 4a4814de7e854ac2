import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, rmSync, truncateSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import fc from "fast-check";
import { type GptTable, readGpt, SteleLabel, steleLayout, writeGpt } from "../../../pkg/gpt/index.ts";
import { growBootDisk, planDiskGrowth } from "./grow-boot-disk.ts";
import { readDeviceBytes } from "./read-device-bytes.ts";

const MiB = 2 ** 20;
/** The raw image's disk: the Stele layout on 800 MiB, EPHEMERAL the last 100-odd MiB. */
const IMAGE_BYTES = 800 * MiB;
const BOOT_CODE = Buffer.alloc(440, 0xeb);

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "grow-boot-disk-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A sparse file holding the raw image's GPT (and MBR boot code), then truncated to `diskBytes`, as the provisioner does. */
function rawImageOn(diskBytes: number): { path: string; before: GptTable } {
  const path = join(dir, "disk.raw");
  closeSync(openSync(path, "w"));
  truncateSync(path, IMAGE_BYTES);
  const before = writeGpt(path, {
    ...steleLayout(IMAGE_BYTES, { bootSize: 150 * MiB, minEphemeralSize: 64 * MiB }),
    bootCode: BOOT_CODE,
  });
  const fd = openSync(path, "r+");
  writeSync(fd, Buffer.from("partition contents"), 0, 18, 300 * MiB); // inside BOOT-A
  closeSync(fd);
  truncateSync(path, diskBytes);
  return { path, before };
}

describe("growBootDisk (file-backed disk)", () => {
  test("a disk larger than its GPT: backup GPT at the last sector, blank EPHEMERAL to the end (1 MiB aligned), the rest unchanged", () => {
    const { path, before } = rawImageOn(3 * 2 ** 30);
    assert.match(readGpt(path).problems.join("\n"), /not at the end of the disk/);
    const lines: string[] = [];
    const growth = growBootDisk(path, { ephemeralBlank: true, log: (line) => lines.push(line) });

    const after = readGpt(path);
    assert.deepEqual(after.problems, [], "both copies sound, backup at the end");
    assert.equal(after.table.diskGuid, before.diskGuid);
    const ephemeral = after.table.partitions.at(-1)!;
    assert.equal(ephemeral.name, SteleLabel.ephemeral);
    assert.equal(
      (ephemeral.lastLba + 1) * 512,
      3 * 2 ** 30 - MiB,
      "the last whole MiB before the backup GPT",
    );
    assert.deepEqual(after.table.partitions.slice(0, -1), before.partitions.slice(0, -1));
    assert.deepEqual({ ...ephemeral, lastLba: 0 }, { ...before.partitions.at(-1)!, lastLba: 0 });
    assert.deepEqual(
      readDeviceBytes(path, 0, 440),
      BOOT_CODE,
      "the MBR's boot code stays (legacy BIOS boot)",
    );
    assert.equal(readDeviceBytes(path, 300 * MiB, 18).toString(), "partition contents");
    assert.deepEqual(growth, {
      rewritten: true,
      ephemeral: {
        number: ephemeral.number,
        offset: ephemeral.firstLba * 512,
        size: (ephemeral.lastLba - ephemeral.firstLba + 1) * 512,
      },
    });
    assert.match(lines.join("\n"), /is 3\.00 GiB, its GPT ended at 0\.78 GiB: backup GPT moved to the end/);
    assert.match(lines.join("\n"), /EPHEMERAL grown to the end of .*: 2\.\d\d GiB/);

    assert.deepEqual(
      growBootDisk(path, { ephemeralBlank: true, log: () => {} }),
      { rewritten: false },
      "once only",
    );
  });

  test("a formatted EPHEMERAL keeps its size: only the backup GPT moves, and the console says so", () => {
    const { path, before } = rawImageOn(2 * 2 ** 30);
    const lines: string[] = [];
    assert.deepEqual(growBootDisk(path, { ephemeralBlank: false, log: (line) => lines.push(line) }), {
      rewritten: true,
    });
    const after = readGpt(path);
    assert.deepEqual(after.problems, []);
    assert.deepEqual(after.table.partitions, before.partitions);
    assert.match(lines.at(-1)!, /^EPHEMERAL is formatted already: left at its size/);
  });

  test("a disk the size of its GPT is not written at all", () => {
    const { path } = rawImageOn(IMAGE_BYTES);
    // A GPT lives in the first and the last MiB: nothing else is ever written.
    const ends = () =>
      Buffer.concat([readDeviceBytes(path, 0, MiB), readDeviceBytes(path, IMAGE_BYTES - MiB, MiB)]);
    const bytes = ends();
    const lines: string[] = [];
    assert.deepEqual(growBootDisk(path, { ephemeralBlank: true, log: (line) => lines.push(line) }), {
      rewritten: false,
    });
    assert.ok(ends().equals(bytes));
    assert.deepEqual(lines, []);
  });
});

describe("planDiskGrowth", () => {
  const table = (diskSectors: number): GptTable => ({
    ...writeGptTable(),
    diskSectors,
  });
  /** The table of the 800 MiB raw image, as readGpt returns it. */
  function writeGptTable(): GptTable {
    const layout = steleLayout(IMAGE_BYTES, { bootSize: 150 * MiB, minEphemeralSize: 64 * MiB });
    const sectors = IMAGE_BYTES / 512;
    return {
      sectorSize: 512,
      diskSectors: sectors,
      diskGuid: "11111111-2222-3333-4444-555555555555",
      firstUsableLba: 34,
      lastUsableLba: sectors - 34,
      entryCount: 128,
      partitions: layout.partitions.map((p, i) => ({
        number: i + 1,
        type: p.type,
        guid: `00000000-0000-0000-0000-00000000000${i + 1}`,
        name: p.name ?? "",
        firstLba: p.firstLba,
        lastLba: p.lastLba,
        attributes: p.attributes ?? 0n,
      })),
    };
  }

  test("for any larger disk, blank EPHEMERAL ends on a MiB, inside the usable range, never shorter", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 * 2 ** 21 }), (extraSectors) => {
        const sectors = IMAGE_BYTES / 512 + extraSectors;
        const plan = planDiskGrowth(table(sectors), { growEphemeral: true });
        assert.ok(plan !== undefined, "a disk that grew is rewritten");
        const ephemeral = plan.layout.partitions.at(-1)!;
        const old = writeGptTable().partitions.at(-1)!;
        assert.equal((ephemeral.lastLba + 1) % 2048, 0);
        assert.ok(ephemeral.lastLba <= sectors - 34);
        assert.ok(ephemeral.lastLba >= old.lastLba);
        assert.ok(sectors - 34 - ephemeral.lastLba < 2048, "less than a MiB is left unused");
        assert.equal(plan.ephemeral === undefined, ephemeral.lastLba === old.lastLba);
      }),
    );
  });

  test("a GPT that already spans the disk needs nothing", () => {
    assert.equal(planDiskGrowth(writeGptTable(), { growEphemeral: true }), undefined);
  });
});
