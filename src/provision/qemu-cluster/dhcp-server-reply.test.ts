import assert from "node:assert/strict";
import { test } from "node:test";
import type { DhcpMessage } from "../../pkg/dhcp/index.ts";
import { type DhcpServerConfig, dhcpReplyDestination, dhcpServerReply } from "./dhcp-server-reply.ts";

const config: DhcpServerConfig = {
  serverAddress: "10.5.0.254",
  subnetMask: "255.255.255.0",
  router: "10.5.0.1",
  leaseSeconds: 86_400,
  reservations: new Map([["52:54:00:0a:0b:0c", { address: "10.5.0.2", hostname: "dev-controlplane-1" }]]),
};
const KNOWN = "52:54:00:0a:0b:0c";
const UNKNOWN = "52:54:00:99:99:99";

function request(
  type: DhcpMessage["options"]["messageType"],
  overrides: Partial<DhcpMessage> = {},
  options: DhcpMessage["options"] = {},
): DhcpMessage {
  return {
    op: "request",
    htype: 1,
    hops: 0,
    xid: 0x1234abcd,
    secs: 3,
    broadcast: false,
    ciaddr: "0.0.0.0",
    yiaddr: "0.0.0.0",
    siaddr: "0.0.0.0",
    giaddr: "0.0.0.0",
    chaddr: KNOWN,
    sname: "",
    file: "",
    ...overrides,
    options: { messageType: type, ...options },
  };
}

test("DISCOVER from a planned MAC: an OFFER of its address, mask, gateway, lease times and name", () => {
  const offer = dhcpServerReply(request("DISCOVER"), config);
  assert.ok(offer);
  assert.equal(offer.op, "reply");
  assert.equal(offer.xid, 0x1234abcd);
  assert.equal(offer.chaddr, KNOWN);
  assert.equal(offer.yiaddr, "10.5.0.2");
  assert.deepEqual(offer.options, {
    messageType: "OFFER",
    serverId: "10.5.0.254",
    subnetMask: "255.255.255.0",
    routers: ["10.5.0.1"],
    leaseTime: 86_400,
    renewalTime: 43_200,
    rebindingTime: 75_600,
    hostname: "dev-controlplane-1",
  });
});

test("DISCOVER from an unknown MAC gets no answer: the server hands out nothing but reservations", () => {
  assert.equal(dhcpServerReply(request("DISCOVER", { chaddr: UNKNOWN }), config), undefined);
});

test("REQUEST for the offered address (SELECTING): an ACK with the lease", () => {
  const ack = dhcpServerReply(
    request("REQUEST", {}, { requestedIp: "10.5.0.2", serverId: "10.5.0.254" }),
    config,
  );
  assert.equal(ack?.options.messageType, "ACK");
  assert.equal(ack?.yiaddr, "10.5.0.2");
  assert.equal(ack?.options.leaseTime, 86_400);
});

test("REQUEST renewing by ciaddr (RENEWING): an ACK sent back to that address", () => {
  const renewing = request("REQUEST", { ciaddr: "10.5.0.2" });
  const ack = dhcpServerReply(renewing, config);
  assert.equal(ack?.options.messageType, "ACK");
  assert.equal(ack?.ciaddr, "10.5.0.2");
  assert.deepEqual(dhcpReplyDestination(renewing, ack!), { address: "10.5.0.2", port: 68 });
});

test("REQUEST from an unknown MAC, or for another address: a NAK naming why, broadcast", () => {
  for (const [what, message] of [
    ["unknown MAC", request("REQUEST", { chaddr: UNKNOWN }, { requestedIp: "10.5.0.9" })],
    ["wrong address", request("REQUEST", {}, { requestedIp: "10.5.0.9" })],
  ] as const) {
    const nak = dhcpServerReply(message, config);
    assert.equal(nak?.options.messageType, "NAK", what);
    assert.equal(nak?.yiaddr, "0.0.0.0", what);
    assert.equal(nak?.options.serverId, "10.5.0.254", what);
    assert.equal(nak?.options.leaseTime, undefined, what);
    assert.match(nak?.options.message ?? "", /10\.5\.0\.9/, what);
    assert.deepEqual(dhcpReplyDestination(message, nak!), { address: "255.255.255.255", port: 68 }, what);
  }
});

test("REQUEST answering another server's offer is left to that server", () => {
  assert.equal(
    dhcpServerReply(request("REQUEST", {}, { requestedIp: "10.5.0.2", serverId: "10.5.0.253" }), config),
    undefined,
  );
});

test("INFORM gets the network's parameters and no lease; RELEASE, DECLINE and replies get nothing", () => {
  const ack = dhcpServerReply(request("INFORM", { ciaddr: "10.5.0.2" }), config);
  assert.equal(ack?.options.messageType, "ACK");
  assert.equal(ack?.yiaddr, "0.0.0.0");
  assert.equal(ack?.options.leaseTime, undefined);
  assert.deepEqual(ack?.options.routers, ["10.5.0.1"]);
  assert.equal(dhcpServerReply(request("RELEASE", { ciaddr: "10.5.0.2" }), config), undefined);
  assert.equal(dhcpServerReply(request("DECLINE"), config), undefined);
  assert.equal(dhcpServerReply({ ...request("OFFER"), op: "reply" }, config), undefined);
});

test("MACs match whatever their case", () => {
  assert.equal(
    dhcpServerReply(request("DISCOVER", { chaddr: KNOWN.toUpperCase() }), config)?.yiaddr,
    "10.5.0.2",
  );
});

test("replies to a client without an address are broadcast; through a relay they go to the relay", () => {
  const discover = request("DISCOVER");
  assert.deepEqual(dhcpReplyDestination(discover, dhcpServerReply(discover, config)!), {
    address: "255.255.255.255",
    port: 68,
  });
  const relayed = request("DISCOVER", { giaddr: "10.9.0.1" });
  assert.deepEqual(dhcpReplyDestination(relayed, dhcpServerReply(relayed, config)!), {
    address: "10.9.0.1",
    port: 67,
  });
});
