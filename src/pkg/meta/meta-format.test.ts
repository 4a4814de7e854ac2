import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { decodeMetaCopy, encodeMetaCopy, META_HEADER_SIZE } from "./meta-format.ts";

const COPY_SIZE = 8192;
const arbitraryEntries = fc
  .uniqueArray(
    fc.tuple(fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,63}$/), fc.uint8Array({ maxLength: 200 })),
    { selector: ([key]) => key, maxLength: 12 },
  )
  .map((pairs) => new Map(pairs));

test("any entries and generation decode as encoded", () => {
  fc.assert(
    fc.property(arbitraryEntries, fc.nat(), (entries, generation) => {
      const decoded = decodeMetaCopy(encodeMetaCopy({ generation, entries }, COPY_SIZE));
      assert.deepEqual(decoded, { ok: true, generation, entries });
    }),
  );
});

test("a change to any byte of the header or entries is detected", () => {
  fc.assert(
    fc.property(
      arbitraryEntries,
      fc.nat(),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      (entries, generation, at, xor) => {
        const copy = encodeMetaCopy({ generation, entries }, COPY_SIZE);
        const length = new DataView(copy.buffer).getUint32(12, true);
        const position = at % (META_HEADER_SIZE + length);
        copy[position]! ^= xor;
        const decoded = decodeMetaCopy(copy);
        assert.equal(decoded.ok, false, `byte ${position} changed unnoticed`);
      },
    ),
  );
});
