import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { decodeDhcpMessage } from "./decode-dhcp-message.ts";
import { DhcpFormatError } from "./dhcp-format-error.ts";
import { DHCP_OPTION, type DhcpMessage, type DhcpOptions } from "./dhcp-message.ts";
import { hexPacket, OFFER } from "./dhcp-test-packets.ts";
import { encodeDhcpMessage } from "./encode-dhcp-message.ts";

const DISCOVER: DhcpMessage = {
  op: "request",
  htype: 1,
  hops: 0,
  xid: 0x3d1d,
  secs: 3,
  broadcast: true,
  ciaddr: "0.0.0.0",
  yiaddr: "0.0.0.0",
  siaddr: "0.0.0.0",
  giaddr: "0.0.0.0",
  chaddr: "52:54:00:12:34:56",
  sname: "",
  file: "",
  options: {
    messageType: "DISCOVER",
    clientId: Uint8Array.from([1, 0x52, 0x54, 0, 0x12, 0x34, 0x56]),
    maxMessageSize: 1500,
    parameterRequestList: [1, 3, 6, 12, 15],
    hostname: "node-1",
  },
};

test("a DISCOVER is laid out as RFC 2131 says, options 53 first, padded to 300 bytes", () => {
  const expected = hexPacket(
    [
      "01 01 06 00", // BOOTREQUEST, Ethernet, hlen 6, hops 0
      "00 00 3d 1d", // xid
      "00 03 80 00", // secs 3, broadcast flag
      "00".repeat(16), // ciaddr, yiaddr, siaddr, giaddr
      "52 54 00 12 34 56", // chaddr
      "00".repeat(10 + 64 + 128), // chaddr padding, sname, file
      "63 82 53 63", // magic cookie
      "35 01 01", // 53 DISCOVER
      "0c 06 6e 6f 64 65 2d 31", // 12 host name "node-1"
      "37 05 01 03 06 0c 0f", // 55 parameter request list
      "39 02 05 dc", // 57 max message size 1500
      "3d 07 01 52 54 00 12 34 56", // 61 client id: type 1, MAC
      "ff",
    ],
    300,
  );
  assert.deepEqual(Buffer.from(encodeDhcpMessage(DISCOVER)), Buffer.from(expected));
});

test("the decoded OFFER encodes to a message that decodes the same (options in code order, same size)", () => {
  const offer = decodeDhcpMessage(OFFER);
  const bytes = encodeDhcpMessage(offer);
  assert.equal(bytes.length, OFFER.length);
  assert.deepEqual(Buffer.from(bytes.subarray(0, 240)), Buffer.from(OFFER.subarray(0, 240)));
  assert.deepEqual(decodeDhcpMessage(bytes), offer);
});

const INVALID: ReadonlyArray<[string, Partial<DhcpMessage>]> = [
  ["an address that is not a dotted quad", { ciaddr: "10.0.0.256" }],
  ["a hardware address of 17 bytes", { chaddr: Array(17).fill("aa").join(":") }],
  ["a 64-byte sname", { sname: "x".repeat(64) }],
  ["an xid beyond 32 bits", { xid: 2 ** 32 }],
  [
    "a raw option that has a typed field",
    { options: { other: [{ code: DHCP_OPTION.routers, data: new Uint8Array(4) }] } },
  ],
  ["an empty router list", { options: { routers: [] } }],
  ["a max message size below 576", { options: { maxMessageSize: 575 } }],
  ["a host name that is not 8-bit text", { options: { hostname: "nœud" } }],
];

for (const [what, change] of INVALID) {
  test(`${what} cannot be encoded: a DhcpFormatError`, () => {
    assert.throws(() => encodeDhcpMessage({ ...DISCOVER, ...change }), DhcpFormatError);
  });
}

const TYPED = new Set<number>(Object.values(DHCP_OPTION));
const ip = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((parts) => parts.join("."));
const latin1 = (min: number, max: number) =>
  fc
    .array(fc.integer({ min: 1, max: 255 }), { minLength: min, maxLength: max })
    .map((codes) => String.fromCharCode(...codes));
const u32 = fc.nat(0xffffffff);
const optionsArb: fc.Arbitrary<DhcpOptions> = fc.record(
  {
    messageType: fc.constantFrom(
      "DISCOVER",
      "OFFER",
      "REQUEST",
      "DECLINE",
      "ACK",
      "NAK",
      "RELEASE",
      "INFORM",
    ),
    subnetMask: ip,
    routers: fc.array(ip, { minLength: 1, maxLength: 70 }),
    dnsServers: fc.array(ip, { minLength: 1, maxLength: 3 }),
    hostname: latin1(1, 300),
    domainName: latin1(1, 40),
    requestedIp: ip,
    leaseTime: u32,
    serverId: ip,
    parameterRequestList: fc.array(fc.nat(255), { minLength: 1, maxLength: 20 }),
    message: latin1(1, 30),
    maxMessageSize: fc.integer({ min: 576, max: 0xffff }),
    renewalTime: u32,
    rebindingTime: u32,
    clientId: fc.uint8Array({ minLength: 2, maxLength: 20 }),
    other: fc.uniqueArray(
      fc.record({
        code: fc.integer({ min: 1, max: 254 }).filter((code) => !TYPED.has(code)),
        data: fc.uint8Array({ maxLength: 400 }),
      }),
      { selector: (option) => option.code, minLength: 1, maxLength: 4 },
    ),
  },
  { requiredKeys: [] },
);
const messageArb: fc.Arbitrary<DhcpMessage> = fc.record({
  op: fc.constantFrom("request", "reply"),
  htype: fc.nat(255),
  hops: fc.nat(255),
  xid: u32,
  secs: fc.nat(0xffff),
  broadcast: fc.boolean(),
  ciaddr: ip,
  yiaddr: ip,
  siaddr: ip,
  giaddr: ip,
  chaddr: fc
    .uint8Array({ maxLength: 16 })
    .map((bytes) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(":")),
  sname: latin1(0, 63),
  file: latin1(0, 127),
  options: optionsArb,
});

test("any message encodes and decodes back to itself", () => {
  fc.assert(
    fc.property(messageArb, (message) => {
      const bytes = encodeDhcpMessage(message);
      assert.ok(bytes.length >= 300);
      // structuredClone: fast-check builds records without a prototype, which deepEqual tells apart.
      assert.deepEqual(decodeDhcpMessage(bytes), structuredClone(message));
    }),
    { numRuns: 1000 },
  );
});
