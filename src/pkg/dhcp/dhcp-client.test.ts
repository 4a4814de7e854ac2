import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { DEFAULT_PARAMETER_REQUEST_LIST, DhcpClient, type DhcpStep } from "./dhcp-client.ts";
import { leaseFromAck } from "./dhcp-lease.ts";
import type { DhcpMessage, DhcpMessageType, DhcpOptions } from "./dhcp-message.ts";
import { ACK, CLIENT_MAC, CLIENT_XID, NAK, OFFER } from "./dhcp-test-packets.ts";
import { encodeDhcpMessage } from "./encode-dhcp-message.ts";

const S = 1000;
const SERVER = "192.168.0.1";
const LEASE_OPTIONS: DhcpOptions = {
  serverId: SERVER,
  leaseTime: 3600,
  subnetMask: "255.255.255.0",
  routers: [SERVER],
  dnsServers: [SERVER],
};

/** A random source: the given values first, then `rest` forever. */
function randoms(values: readonly number[], rest = 0.5): () => number {
  const queue = [...values];
  return () => queue.shift() ?? rest;
}

/** A client whose first xid is the one of the hand-written packets, with no jitter. */
const clientForPackets = () =>
  new DhcpClient({ hardwareAddress: CLIENT_MAC, random: randoms([CLIENT_XID / 2 ** 32]) });

/** A server's reply to a client's message, as bytes. */
function reply(
  to: DhcpMessage,
  type: DhcpMessageType,
  options: DhcpOptions = LEASE_OPTIONS,
  yiaddr = "192.168.0.10",
) {
  return encodeDhcpMessage({
    ...to,
    op: "reply",
    secs: 0,
    yiaddr: type === "NAK" ? "0.0.0.0" : yiaddr,
    options: { ...(type === "NAK" ? { serverId: options.serverId } : options), messageType: type },
  });
}

const only = (step: DhcpStep) => {
  assert.equal(step.send.length, 1, JSON.stringify(step.events));
  return step.send[0]!;
};

/** A client bound to 192.168.0.10 at time 0 (lease 1 h: T1 30 min, T2 52.5 min). */
function boundClient(random = randoms([], 0.5)) {
  const client = new DhcpClient({ hardwareAddress: CLIENT_MAC, hostname: "node-1", random });
  const discover = only(client.start(0)).message;
  const request = only(client.receive(reply(discover, "OFFER"), 0)).message;
  const bound = client.receive(reply(request, "ACK"), 0);
  assert.equal(bound.events[0]?.type, "bound");
  return client;
}

test("with a real server's OFFER and ACK: DISCOVER, REQUEST, bound with the lease", () => {
  const client = clientForPackets();
  const start = client.start(0);
  const discover = only(start);
  assert.equal(discover.to, "broadcast");
  assert.equal(discover.message.xid, CLIENT_XID);
  assert.equal(discover.message.broadcast, true);
  assert.deepEqual(discover.message.options, {
    messageType: "DISCOVER",
    clientId: Uint8Array.from([1, 0x00, 0x0b, 0x82, 0x01, 0xfc, 0x42]),
    maxMessageSize: 1500,
    parameterRequestList: [...DEFAULT_PARAMETER_REQUEST_LIST],
  });
  assert.equal(start.wakeAt, 4 * S);
  assert.equal(client.state, "selecting");

  const requesting = client.receive(OFFER, 1.5 * S);
  const request = only(requesting);
  assert.equal(request.to, "broadcast");
  assert.equal(request.message.xid, CLIENT_XID);
  assert.equal(request.message.secs, discover.message.secs, "a REQUEST repeats its DISCOVER's secs");
  assert.equal(request.message.ciaddr, "0.0.0.0");
  assert.equal(request.message.options.messageType, "REQUEST");
  assert.equal(request.message.options.requestedIp, "192.168.0.10");
  assert.equal(request.message.options.serverId, SERVER);
  assert.equal(requesting.wakeAt, 5.5 * S);
  assert.equal(client.state, "requesting");

  const bound = client.receive(ACK, 1.6 * S);
  assert.deepEqual(bound.send, []);
  assert.deepEqual(bound.events, [
    {
      type: "bound",
      lease: {
        address: "192.168.0.10",
        prefixLength: 24,
        routers: [SERVER],
        dnsServers: [SERVER, "8.8.8.8"],
        domainName: "example.org",
        hostname: "node1",
        serverId: SERVER,
        leaseSeconds: 3600,
        obtainedAt: 1.5 * S,
        renewAt: 1.5 * S + 1800 * S,
        rebindAt: 1.5 * S + 3150 * S,
        expiresAt: 1.5 * S + 3600 * S,
      },
    },
  ]);
  assert.equal(bound.wakeAt, 1.5 * S + 1800 * S);
  assert.equal(client.state, "bound");
  assert.equal(client.lease?.address, "192.168.0.10");
  assert.equal(client.receive(NAK, 2 * S).events[0]?.type, "ignored", "a NAK while bound changes nothing");
});

for (const [random, jitter] of [
  [0.5, 0],
  [0, -1 * S],
  [0.75, 0.5 * S],
] as const) {
  test(`DISCOVER is retransmitted after 4, 8, 16, 32, 64, 64 s, each ${jitter} ms of jitter, same xid`, () => {
    const client = new DhcpClient({ hardwareAddress: CLIENT_MAC, random: () => random });
    let step = client.start(0);
    const xid = only(step).message.xid;
    const delays: number[] = [];
    let now = 0;
    for (let i = 0; i < 6; i++) {
      delays.push(step.wakeAt! - now);
      now = step.wakeAt!;
      step = client.wake(now);
      assert.equal(only(step).message.xid, xid);
      assert.equal(only(step).message.secs, Math.floor(now / S));
    }
    assert.deepEqual(
      delays,
      [4, 8, 16, 32, 64, 64].map((d) => d * S + jitter),
    );
  });
}

test("waking before the time asked for does nothing", () => {
  const client = new DhcpClient({ hardwareAddress: CLIENT_MAC, random: () => 0.5 });
  client.start(0);
  assert.deepEqual(client.wake(3.9 * S), { send: [], events: [], wakeAt: 4 * S });
});

const IGNORED: ReadonlyArray<[string, (discover: DhcpMessage) => Uint8Array, RegExp]> = [
  ["an OFFER for another transaction", (d) => reply({ ...d, xid: d.xid + 1 }, "OFFER"), /^xid /],
  ["an OFFER for another client", (d) => reply({ ...d, chaddr: "52:54:00:00:00:01" }, "OFFER"), /^chaddr /],
  ["another client's DISCOVER", (d) => encodeDhcpMessage(d), /BOOTREQUEST/],
  ["garbage", () => new Uint8Array(100), /too short/],
  [
    "an OFFER without a server identifier",
    (d) => reply(d, "OFFER", { leaseTime: 60 }),
    /without an address or a server/,
  ],
  ["an ACK while selecting", (d) => reply(d, "ACK"), /DHCPACK in state selecting/],
];

for (const [what, packet, reason] of IGNORED) {
  test(`${what} is ignored, with why`, () => {
    const client = new DhcpClient({ hardwareAddress: CLIENT_MAC, random: () => 0.5 });
    const discover = only(client.start(0)).message;
    const step = client.receive(packet(discover), 1 * S);
    assert.deepEqual(step.send, []);
    assert.equal(step.events.length, 1);
    assert.equal(step.events[0]!.type, "ignored");
    assert.match((step.events[0] as { reason: string }).reason, reason);
    assert.equal(step.wakeAt, 4 * S);
    assert.equal(client.state, "selecting");
  });
}

test("REQUESTING without an answer: 4 REQUESTs, then a new DISCOVER with a new xid", () => {
  let k = 0;
  const client = new DhcpClient({
    hardwareAddress: CLIENT_MAC,
    random: () => (k++ % 2 === 0 ? (k * 0.1) % 1 : 0.5),
  });
  const discover = only(client.start(0)).message;
  let step = client.receive(reply(discover, "OFFER"), 0);
  const types: string[] = [only(step).message.options.messageType!];
  while (types.length < 5) {
    step = client.wake(step.wakeAt!);
    types.push(only(step).message.options.messageType!);
  }
  assert.deepEqual(types, ["REQUEST", "REQUEST", "REQUEST", "REQUEST", "DISCOVER"]);
  assert.notEqual(only(step).message.xid, discover.xid);
  assert.equal(client.state, "selecting");
});

test("a NAK while requesting starts over at once; a second NAK waits before starting over", () => {
  let k = 0;
  const client = new DhcpClient({ hardwareAddress: CLIENT_MAC, random: () => (k++ * 0.1234567) % 1 });
  const discover = only(client.start(0)).message;
  const request = only(client.receive(reply(discover, "OFFER"), 0)).message;
  const first = client.receive(reply(request, "NAK"), 1 * S);
  assert.deepEqual(first.events, [{ type: "nak", serverId: SERVER, message: undefined }]);
  const again = only(first).message;
  assert.equal(again.options.messageType, "DISCOVER");
  assert.notEqual(again.xid, discover.xid);

  const request2 = only(client.receive(reply(again, "OFFER"), 2 * S)).message;
  const second = client.receive(reply(request2, "NAK"), 3 * S);
  assert.deepEqual(second.send, []);
  assert.equal(client.state, "init");
  assert.ok(second.wakeAt! >= 6 * S && second.wakeAt! <= 8 * S, String(second.wakeAt));
  assert.equal(only(client.wake(second.wakeAt!)).message.options.messageType, "DISCOVER");
});

test("at T1 the lease is renewed by unicast to its server; the new lease counts from the REQUEST", () => {
  const client = boundClient();
  const lease = client.lease!;
  assert.equal(lease.renewAt, 1800 * S);
  const renewing = client.wake(lease.renewAt);
  const request = only(renewing);
  assert.deepEqual(request.to, { unicast: SERVER });
  assert.equal(request.message.ciaddr, "192.168.0.10");
  assert.equal(request.message.broadcast, false);
  assert.equal(request.message.options.requestedIp, undefined);
  assert.equal(request.message.options.serverId, undefined);
  assert.equal(request.message.options.hostname, "node-1");
  assert.equal(client.state, "renewing");
  // Half the time to T2 (52.5 - 30 min), at least 60 s.
  assert.equal(renewing.wakeAt, 1800 * S + 675 * S);

  const renewed = client.receive(
    reply(request.message, "ACK", { ...LEASE_OPTIONS, dnsServers: ["9.9.9.9"] }),
    1801 * S,
  );
  assert.equal(renewed.events.length, 1);
  assert.equal(renewed.events[0]!.type, "renewed");
  assert.deepEqual(client.lease?.dnsServers, ["9.9.9.9"]);
  assert.equal(client.lease?.obtainedAt, 1800 * S);
  assert.equal(renewed.wakeAt, 3600 * S);
  assert.equal(client.state, "bound");
});

test("no answer at all: renewing until T2, rebinding by broadcast until expiry, then the lease is lost", () => {
  const client = boundClient();
  let step = client.wake(1800 * S);
  const log: Array<[number, string, string]> = [];
  for (let now = 1800 * S; client.state !== "selecting"; ) {
    for (const sent of step.send)
      log.push([
        now / S,
        sent.message.options.messageType!,
        sent.to === "broadcast" ? "broadcast" : "unicast",
      ]);
    now = step.wakeAt!;
    step = client.wake(now);
    // A getter TypeScript has narrowed by the loop condition; it changes with each wake.
    if ((client.state as string) === "selecting") {
      assert.deepEqual(
        step.events.map((event) => event.type),
        ["lost"],
      );
      assert.equal((step.events[0] as { reason: string }).reason, "expired");
      assert.equal(now, 3600 * S);
      assert.equal(only(step).message.options.messageType, "DISCOVER");
    }
  }
  assert.deepEqual(log, [
    [1800, "REQUEST", "unicast"],
    [2475, "REQUEST", "unicast"],
    [2812.5, "REQUEST", "unicast"],
    [2981.25, "REQUEST", "unicast"],
    [3065.625, "REQUEST", "unicast"],
    [3125.625, "REQUEST", "unicast"],
    [3150, "REQUEST", "broadcast"],
    [3375, "REQUEST", "broadcast"],
    [3487.5, "REQUEST", "broadcast"],
    [3547.5, "REQUEST", "broadcast"],
  ]);
  assert.equal(client.lease, undefined);
});

test("rebinding: another server's ACK with another address replaces the lease", () => {
  const client = boundClient();
  client.wake(1800 * S);
  const rebinding = only(client.wake(3150 * S)).message;
  assert.equal(client.state, "rebinding");
  const step = client.receive(
    reply(rebinding, "ACK", { ...LEASE_OPTIONS, serverId: "192.168.0.2" }, "192.168.0.77"),
    3151 * S,
  );
  assert.deepEqual(
    step.events.map((event) => [event.type, "lease" in event ? event.lease.address : undefined]),
    [
      ["lost", "192.168.0.10"],
      ["bound", "192.168.0.77"],
    ],
  );
  assert.equal(client.lease?.serverId, "192.168.0.2");
});

test("a NAK while renewing drops the lease and starts over", () => {
  const client = boundClient();
  const request = only(client.wake(1800 * S)).message;
  const step = client.receive(reply(request, "NAK"), 1801 * S);
  assert.deepEqual(
    step.events.map((event) => event.type),
    ["nak", "lost"],
  );
  assert.equal(only(step).message.options.messageType, "DISCOVER");
  assert.equal(client.lease, undefined);
});

test("declining the address: DECLINE with it, lease dropped, a new DISCOVER after 10 s", () => {
  const client = boundClient();
  const step = client.decline(5 * S);
  const decline = only(step);
  assert.equal(decline.to, "broadcast");
  assert.equal(decline.message.ciaddr, "0.0.0.0");
  assert.equal(decline.message.options.messageType, "DECLINE");
  assert.equal(decline.message.options.requestedIp, "192.168.0.10");
  assert.equal(decline.message.options.serverId, SERVER);
  assert.deepEqual(
    step.events.map((event) => [event.type, (event as { reason?: string }).reason]),
    [["lost", "declined"]],
  );
  assert.equal(step.wakeAt, 15 * S);
  assert.equal(only(client.wake(15 * S)).message.options.messageType, "DISCOVER");
});

test("releasing: RELEASE unicast to the server, then stopped with no timer", () => {
  const client = boundClient();
  const step = client.release(10 * S);
  const release = only(step);
  assert.deepEqual(release.to, { unicast: SERVER });
  assert.equal(release.message.ciaddr, "192.168.0.10");
  assert.equal(release.message.options.messageType, "RELEASE");
  assert.equal(release.message.options.serverId, SERVER);
  assert.equal(step.wakeAt, undefined);
  assert.equal(client.state, "stopped");
  assert.deepEqual(client.wake(100 * S), { send: [], events: [], wakeAt: undefined });
});

test("an infinite lease sets no timer", () => {
  const client = new DhcpClient({ hardwareAddress: CLIENT_MAC, random: () => 0.5 });
  const discover = only(client.start(0)).message;
  const request = only(client.receive(reply(discover, "OFFER"), 0)).message;
  const step = client.receive(reply(request, "ACK", { ...LEASE_OPTIONS, leaseTime: 0xffffffff }), 0);
  assert.equal(step.wakeAt, undefined);
  assert.equal(client.lease?.expiresAt, Number.POSITIVE_INFINITY);
});

const ack = (options: DhcpOptions, yiaddr = "10.1.2.3"): DhcpMessage => ({
  op: "reply",
  htype: 1,
  hops: 0,
  xid: 1,
  secs: 0,
  broadcast: false,
  ciaddr: "0.0.0.0",
  yiaddr,
  siaddr: "0.0.0.0",
  giaddr: "0.0.0.0",
  chaddr: CLIENT_MAC,
  sname: "",
  file: "",
  options: { messageType: "ACK", serverId: SERVER, leaseTime: 1000, ...options },
});
const LEASES: ReadonlyArray<[string, DhcpMessage, Record<string, unknown> | string]> = [
  [
    "T1 and T2 from the server",
    ack({ renewalTime: 100, rebindingTime: 200 }),
    { renewAt: 100 * S, rebindAt: 200 * S },
  ],
  [
    "T1 and T2 out of order: the defaults",
    ack({ renewalTime: 900, rebindingTime: 800 }),
    { renewAt: 500 * S, rebindAt: 875 * S },
  ],
  [
    "T2 beyond the lease: the defaults",
    ack({ rebindingTime: 2000 }),
    { renewAt: 500 * S, rebindAt: 875 * S },
  ],
  ["a /20 mask", ack({ subnetMask: "255.255.240.0" }), { prefixLength: 20 }],
  ["no mask: the address's class", ack({}), { prefixLength: 8 }],
  [
    "a non-contiguous mask: the class",
    ack({ subnetMask: "255.0.255.0" }, "172.16.0.9"),
    { prefixLength: 16 },
  ],
  [
    "a host name that is not a DNS name is dropped",
    ack({ hostname: "bad name;rm" }),
    { hostname: undefined },
  ],
  [
    "a valid host and domain name kept",
    ack({ hostname: "n-1", domainName: "c.example." }),
    { hostname: "n-1", domainName: "c.example." },
  ],
  ["no lease time", ack({ leaseTime: undefined }), "DHCPACK without a lease time (option 51)"],
  ["no server identifier", ack({ serverId: undefined }), "DHCPACK without a server identifier (option 54)"],
  ["no address", ack({}, "0.0.0.0"), "DHCPACK without an address (yiaddr 0.0.0.0)"],
];

for (const [what, message, expected] of LEASES) {
  test(`lease: ${what}`, () => {
    const lease = leaseFromAck(message, 0);
    if (typeof expected === "string") {
      assert.equal(lease, expected);
      return;
    }
    assert.ok(typeof lease !== "string");
    for (const [key, value] of Object.entries(expected))
      assert.deepEqual(lease[key as keyof typeof lease], value, key);
  });
}

test("whatever the network does, the client never throws and keeps its invariants", () => {
  const action = fc.oneof(
    fc.constant({ kind: "wake" as const }),
    fc.constant({ kind: "early-wake" as const }),
    fc.record({
      kind: fc.constant("reply" as const),
      type: fc.constantFrom<DhcpMessageType>("OFFER", "ACK", "NAK", "DISCOVER"),
      wrongXid: fc.boolean(),
      lease: fc.constantFrom(0, 1, 60, 3600, 0xffffffff),
    }),
    fc.record({ kind: fc.constant("garbage" as const), bytes: fc.uint8Array({ maxLength: 300 }) }),
    fc.constant({ kind: "decline" as const }),
    fc.constant({ kind: "release" as const }),
    fc.constant({ kind: "start" as const }),
  );
  fc.assert(
    fc.property(
      fc.array(action, { maxLength: 40 }),
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      (actions, seed) => {
        let k = seed;
        const client = new DhcpClient({
          hardwareAddress: CLIENT_MAC,
          random: () => (k = (k + 0.618034) % 1),
        });
        let now = 0;
        let step = client.start(now);
        let last = step.send.at(-1)?.message;
        for (const a of actions) {
          if (a.kind === "wake" && step.wakeAt !== undefined) now = Math.max(now, step.wakeAt);
          else now += 1;
          if (a.kind === "wake" || a.kind === "early-wake") step = client.wake(now);
          else if (a.kind === "garbage") step = client.receive(a.bytes, now);
          else if (a.kind === "decline") step = client.decline(now);
          else if (a.kind === "release") step = client.release(now);
          else if (a.kind === "start") step = client.start(now);
          else if (last !== undefined) {
            const to = a.wrongXid ? { ...last, xid: (last.xid + 1) >>> 0 } : last;
            step = client.receive(
              a.type === "DISCOVER"
                ? encodeDhcpMessage(to)
                : reply(to, a.type, { ...LEASE_OPTIONS, leaseTime: a.lease }),
              now,
            );
          }
          last = step.send.at(-1)?.message ?? last;
          const leased = ["bound", "renewing", "rebinding"].includes(client.state);
          assert.equal(client.lease !== undefined, leased, client.state);
          assert.ok(step.send.length <= 1, "never a burst of packets");
          if (step.wakeAt === undefined) {
            assert.ok(
              client.state === "stopped" || client.lease?.expiresAt === Number.POSITIVE_INFINITY,
              client.state,
            );
          } else {
            // A timer may be due already (a short lease counts from its REQUEST), but never one from before the lease.
            assert.ok(Number.isFinite(step.wakeAt), String(step.wakeAt));
            if (client.lease !== undefined) assert.ok(step.wakeAt >= client.lease.obtainedAt);
            else assert.ok(step.wakeAt > now, "acquiring: the next retransmission is in the future");
          }
        }
      },
    ),
    { numRuns: 1000 },
  );
});

test("an ACK whose lease is over on arrival (0 s) is ignored: the client keeps requesting", () => {
  const client = new DhcpClient({ hardwareAddress: CLIENT_MAC, random: () => 0.5 });
  const discover = only(client.start(0)).message;
  const request = only(client.receive(reply(discover, "OFFER"), 0)).message;
  const step = client.receive(reply(request, "ACK", { ...LEASE_OPTIONS, leaseTime: 0 }), 1 * S);
  assert.deepEqual(step.events, [
    { type: "ignored", reason: "DHCPACK with a lease that has already expired" },
  ]);
  assert.equal(client.state, "requesting");
  assert.equal(step.wakeAt, 4 * S);
});
