import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { decodeDhcpMessage } from "./decode-dhcp-message.ts";
import { DhcpFormatError } from "./dhcp-format-error.ts";
import { ACK, hexPacket, NAK, OFFER } from "./dhcp-test-packets.ts";
import { encodeDhcpMessage } from "./encode-dhcp-message.ts";

test("a server's OFFER, byte for byte, decodes to its fields", () => {
  assert.deepEqual(decodeDhcpMessage(OFFER), {
    op: "reply",
    htype: 1,
    hops: 0,
    xid: 0x3d1d,
    secs: 0,
    broadcast: false,
    ciaddr: "0.0.0.0",
    yiaddr: "192.168.0.10",
    siaddr: "192.168.0.1",
    giaddr: "0.0.0.0",
    chaddr: "00:0b:82:01:fc:42",
    sname: "",
    file: "",
    options: {
      messageType: "OFFER",
      subnetMask: "255.255.255.0",
      renewalTime: 1800,
      rebindingTime: 3150,
      leaseTime: 3600,
      serverId: "192.168.0.1",
    },
  });
});

test("an ACK's router, DNS, domain and NUL-terminated host name; a NAK's reason", () => {
  const ack = decodeDhcpMessage(ACK).options;
  assert.deepEqual(ack.routers, ["192.168.0.1"]);
  assert.deepEqual(ack.dnsServers, ["192.168.0.1", "8.8.8.8"]);
  assert.equal(ack.domainName, "example.org");
  assert.equal(ack.hostname, "node1");
  assert.equal(ack.messageType, "ACK");
  const nak = decodeDhcpMessage(NAK).options;
  assert.deepEqual(nak, { messageType: "NAK", serverId: "192.168.0.1", message: "wrong network" });
});

test("option overload: options continue in file, then sname (RFC 2131 §4.1)", () => {
  const bytes = Buffer.from(OFFER);
  const options = Buffer.from("350102" + "340103" + "ff", "hex"); // OFFER, overload both fields
  bytes.fill(0, 240);
  options.copy(bytes, 240);
  Buffer.from("0304c0a80001" + "ff", "hex").copy(bytes, 108); // file: router
  Buffer.from("0c056e6f646532" + "ff", "hex").copy(bytes, 44); // sname: host name "node2"
  const message = decodeDhcpMessage(bytes);
  assert.deepEqual(message.options, { messageType: "OFFER", routers: ["192.168.0.1"], hostname: "node2" });
  assert.equal(message.file, "");
  assert.equal(message.sname, "");
});

test("an option split in several instances is joined (RFC 3396)", () => {
  const message = decodeDhcpMessage(
    encodeDhcpMessage({
      ...decodeDhcpMessage(OFFER),
      options: { messageType: "OFFER", other: [{ code: 121, data: new Uint8Array(300).fill(7) }] },
    }),
  );
  assert.deepEqual(message.options.other, [{ code: 121, data: new Uint8Array(300).fill(7) }]);
  const split = decodeDhcpMessage(
    hexPacket([Buffer.from(OFFER.subarray(0, 240)).toString("hex"), "0304c0a80001", "0304c0a80002", "ff"]),
  );
  assert.deepEqual(split.options.routers, ["192.168.0.1", "192.168.0.2"]);
});

const withOptions = (hex: string) => hexPacket([Buffer.from(OFFER.subarray(0, 240)).toString("hex"), hex]);
const header = (offset: number, value: number) => {
  const bytes = Buffer.from(OFFER);
  bytes[offset] = value;
  return bytes;
};
const MALFORMED: ReadonlyArray<[string, Uint8Array, string]> = [
  ["an empty datagram", new Uint8Array(0), "DHCP message too short: 0 bytes, at least 240"],
  [
    "a BOOTP message without options",
    OFFER.subarray(0, 239),
    "DHCP message too short: 239 bytes, at least 240",
  ],
  [
    "a wrong magic cookie",
    header(239, 0x64),
    "Not a DHCP message: magic cookie 0x63825364, expected 0x63825363",
  ],
  ["op 3", header(0, 3), "Invalid DHCP op: 3, expected 1 (request) or 2 (reply)"],
  ["hlen 17", header(2, 17), "Invalid DHCP hlen: 17, at most 16"],
  ["an option without its length", withOptions("35"), "DHCP option 53 in options has no length byte"],
  [
    "an option past the end",
    withOptions("3304000e"),
    "DHCP option 51 in options runs past the end: length 4, 2 bytes left",
  ],
  [
    "message type 9",
    withOptions("350109ff"),
    "Invalid DHCP option 53 (message type): 9, expected one byte 1-8",
  ],
  [
    "a 3-byte lease time",
    withOptions("3303000e10ff"),
    "Invalid DHCP option 51 (lease time): 3 bytes, expected 4",
  ],
  [
    "a 5-byte router list",
    withOptions("0305c0a8000101ff"),
    "Invalid DHCP option 3 (routers): 5 bytes, expected a multiple of 4",
  ],
  [
    "a max size of 500",
    withOptions("390201f4ff"),
    "Invalid DHCP option 57 (maximum message size): 2 bytes, expected 2, a value of at least 576",
  ],
  ["overload 4", withOptions("340104ff"), "Invalid DHCP option 52 (overload): 4, expected 1, 2 or 3"],
];

for (const [what, bytes, message] of MALFORMED) {
  test(`${what} is a DhcpFormatError`, () => {
    assert.throws(
      () => decodeDhcpMessage(bytes),
      (error: unknown) =>
        error instanceof DhcpFormatError && error.message === message && error.code === "invalid-argument",
    );
  });
}

test("a missing end option is tolerated at the end of the data; trailing pad is skipped", () => {
  assert.equal(decodeDhcpMessage(withOptions("350102")).options.messageType, "OFFER");
  assert.equal(decodeDhcpMessage(withOptions("000035010200000000")).options.messageType, "OFFER");
});

/** Decodes, and fails on anything thrown that is not a DhcpFormatError. */
const decodesOrFormatError = (bytes: Uint8Array) => {
  try {
    decodeDhcpMessage(bytes);
  } catch (error) {
    if (!(error instanceof DhcpFormatError)) throw error;
  }
};

test("random bytes decode or throw a DhcpFormatError, nothing else", () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), decodesOrFormatError), { numRuns: 3000 });
});

test("a valid header with random options decodes or throws a DhcpFormatError, nothing else", () => {
  // Random options mostly fail at the cookie; this reaches the option parser every time.
  const head = OFFER.subarray(0, 240);
  const option = fc.oneof(
    fc.uint8Array({ maxLength: 40 }),
    fc
      .tuple(
        fc.constantFrom(1, 3, 6, 12, 15, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 61),
        fc.uint8Array({ maxLength: 10 }),
      )
      .map(([code, data]) => Uint8Array.from([code, data.length, ...data])),
  );
  const overloadFields = fc.tuple(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 128 }));
  fc.assert(
    fc.property(fc.array(option, { maxLength: 12 }), overloadFields, (options, [sname, file]) => {
      const bytes = Buffer.concat([head, ...options]);
      Buffer.from(sname).copy(bytes, 44);
      Buffer.from(file).copy(bytes, 108);
      decodesOrFormatError(bytes);
    }),
    { numRuns: 5000 },
  );
});

test("mutated and truncated real packets decode or throw a DhcpFormatError, nothing else", () => {
  const packet = fc.constantFrom(OFFER, ACK, NAK);
  const mutated = fc
    .tuple(packet, fc.array(fc.tuple(fc.nat(299), fc.integer({ min: 0, max: 255 })), { maxLength: 10 }))
    .map(([bytes, edits]) => {
      const copy = Buffer.from(bytes);
      for (const [at, value] of edits) copy[at] = value;
      return copy;
    });
  const truncated = fc.tuple(packet, fc.nat(300)).map(([bytes, length]) => bytes.subarray(0, length));
  fc.assert(fc.property(fc.oneof(mutated, truncated), decodesOrFormatError), { numRuns: 5000 });
});
