import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { parseKmsgRecord } from "./kmsg-record.ts";

test("a kmsg record gives its level, facility, sequence, timestamp and message", () => {
  assert.deepEqual(parseKmsgRecord("6,1234,5678901,-;eth0: link up\n"), {
    priority: 6,
    level: "info",
    facility: 0,
    seq: 1234,
    timestampUs: 5678901,
    continuation: false,
    message: "eth0: link up",
    fields: {},
  });
});

test("the continuation lines of a record become its fields, not part of the message", () => {
  const record = parseKmsgRecord("3,7,100,-;sda: I/O error\n SUBSYSTEM=block\n DEVICE=b8:0\n");
  assert.equal(record?.message, "sda: I/O error");
  assert.equal(record?.level, "err");
  assert.deepEqual(record?.fields, { SUBSYSTEM: "block", DEVICE: "b8:0" });
});

test("a userland line written to /dev/kmsg keeps its facility; newer kernels' extra prefix fields are ignored", () => {
  const record = parseKmsgRecord("30,9,42,c,caller=T1;machined: hello");
  assert.equal(record?.facility, 3);
  assert.equal(record?.level, "info");
  assert.equal(record?.continuation, true);
  assert.equal(record?.message, "machined: hello");
});

test("the kernel's \\xNN escapes are decoded, UTF-8 included", () => {
  assert.equal(
    parseKmsgRecord("6,1,0,-;tab\\x09here \\xc3\\xa9t\\xc3\\xa9 \\x5c")?.message,
    "tab\there été \\",
  );
});

test("text that is not a record is refused, not half-parsed", () => {
  for (const text of ["", "no prefix", "x,1,2,-;msg", "6,,2,-;msg", "6,1;msg", "-1,1,2,-;m"]) {
    assert.equal(parseKmsgRecord(text), undefined, JSON.stringify(text));
  }
});

test("property: any message and fields survive a format and parse round trip", () => {
  const kmsgEscape = (text: string) =>
    [...Buffer.from(text, "utf8")]
      .map((byte) =>
        byte < 0x20 || byte === 0x7f || byte === 0x5c
          ? `\\x${byte.toString(16).padStart(2, "0")}`
          : String.fromCharCode(byte),
      )
      .join("");
  const asLatin1 = (text: string) => Buffer.from(text, "latin1").toString("utf8");
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 191 }),
      fc.nat(),
      fc.nat(),
      fc.string({ unit: "binary" }),
      fc.dictionary(fc.stringMatching(/^[A-Z]{1,8}$/), fc.string()),
      (priority, seq, timestampUs, message, fields) => {
        const dict = Object.entries(fields)
          .map(([key, value]) => ` ${key}=${asLatin1(kmsgEscape(value))}\n`)
          .join("");
        const text = `${priority},${seq},${timestampUs},-;${asLatin1(kmsgEscape(message))}\n${dict}`;
        const record = parseKmsgRecord(text);
        assert.equal(record?.priority, priority);
        assert.equal(record?.seq, seq);
        assert.equal(record?.timestampUs, timestampUs);
        assert.equal(record?.message, message);
        assert.deepEqual(record?.fields, { ...fields });
      },
    ),
  );
});
