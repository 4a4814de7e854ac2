import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import {
  decodeIdentityHints,
  decodeUpgradeState,
  encodeIdentityHints,
  encodeUpgradeState,
  MetaKey,
} from "./meta-keys.ts";
import { readMeta } from "./read-meta.ts";
import { updateMeta } from "./write-meta.ts";

let dir = "";
let path = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "stele-meta-keys-"));
  path = join(dir, "meta");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test("the upgrade state and identity hints are stored side by side and read back", () => {
  updateMeta(
    path,
    encodeIdentityHints({ machineUuid: "4c4c4544-0042-3510-8052-b4c04f4a4e31", hostname: "cp-1" }),
  );
  updateMeta(path, encodeUpgradeState({ nextSlot: "B", triesLeft: 3, fallbackSlot: "A" }));
  const { entries } = readMeta(path);
  assert.deepEqual(decodeUpgradeState(entries), { nextSlot: "B", triesLeft: 3, fallbackSlot: "A" });
  assert.deepEqual(decodeIdentityHints(entries), {
    machineUuid: "4c4c4544-0042-3510-8052-b4c04f4a4e31",
    hostname: "cp-1",
  });
  assert.deepEqual(entries.get(MetaKey.triesLeft), Uint8Array.of(3));
});

test("a hint left undefined is deleted", () => {
  updateMeta(path, encodeIdentityHints({ hostname: "old" }));
  updateMeta(path, encodeIdentityHints({ machineUuid: "u" }));
  assert.deepEqual(decodeIdentityHints(readMeta(path).entries), { machineUuid: "u" });
});

test("no upgrade state yet: undefined (a fresh install boots slot A)", () => {
  assert.equal(decodeUpgradeState(new Map()), undefined);
});

const malformed: Array<[string, Map<string, Uint8Array>, RegExp]> = [
  [
    "a missing key",
    new Map([[MetaKey.nextSlot, Uint8Array.of(0x42)]]),
    /missing upgrade\.tries-left, upgrade\.fallback-slot$/,
  ],
  [
    "a slot that is neither A nor B",
    new Map([
      ...encodeUpgradeState({ nextSlot: "A", triesLeft: 1, fallbackSlot: "A" }),
      [MetaKey.nextSlot, Uint8Array.of(0x43)],
    ]),
    /upgrade\.next-slot is "C", not "A" or "B"$/,
  ],
  [
    "tries left of two bytes",
    new Map([
      ...encodeUpgradeState({ nextSlot: "A", triesLeft: 1, fallbackSlot: "A" }),
      [MetaKey.triesLeft, Uint8Array.of(1, 0)],
    ]),
    /upgrade\.tries-left is 2 bytes, not 1$/,
  ],
];
for (const [what, entries, message] of malformed) {
  test(`an upgrade state with ${what} is an error, not a guess`, () => {
    assert.throws(() => decodeUpgradeState(entries), {
      code: "io",
      message: /^Malformed upgrade state in META: /,
    });
    assert.throws(() => decodeUpgradeState(entries), { message });
  });
}

test("an upgrade state that cannot be stored is refused", () => {
  assert.throws(
    () => encodeUpgradeState({ nextSlot: "A", triesLeft: 256, fallbackSlot: "B" }),
    /Invalid tries left: 256/,
  );
  assert.throws(
    () => encodeUpgradeState({ nextSlot: "C" as "A", triesLeft: 1, fallbackSlot: "B" }),
    /Invalid boot slot: "C"/,
  );
});
