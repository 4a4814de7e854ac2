import assert from "node:assert/strict";
import { test } from "node:test";
import { answerAll, FakeClock, FakeNetwork, SLIRP_OPTIONS, settle, spyHostCalls } from "./dhcp-fake-world.ts";
import { DhcpNetwork, type DhcpTargets } from "./dhcp-network.ts";

const S = 1000;
const BROADCAST = "255.255.255.255";

/** A DhcpNetwork in the fake world, with eth0 and eth1 present, no jitter. */
function world() {
  const clock = new FakeClock();
  const net = new FakeNetwork();
  const calls = spyHostCalls();
  const console: string[] = [];
  const macs: Record<string, string> = { eth0: "52:54:00:12:34:56", eth1: "52:54:00:12:34:57" };
  const dhcp = new DhcpNetwork({
    openSocket: net.openSocket,
    clock,
    calls,
    hardwareAddress: (name) => macs[name],
    log: (line) => console.push(line),
    random: () => 0.5,
  });
  const configure = (interfaces: string[], extra: Partial<DhcpTargets> = {}) =>
    dhcp.configure({ interfaces, staticNameservers: [], staticallyAddressed: [], ...extra });
  return { clock, net, calls, console, dhcp, configure };
}

test("a lease is applied: link up, address and mask, default route, resolv.conf, and a console line", async () => {
  const { net, calls, console, dhcp, configure } = world();
  configure(["eth0"]);
  await settle();
  assert.deepEqual(net.take(), [`DISCOVER ${BROADCAST}`, `REQUEST ${BROADCAST}`]);
  assert.equal(net.sent.length, 0);
  assert.deepEqual(calls.log, [
    "up eth0",
    "address eth0 10.0.2.15/24",
    "route 0.0.0.0/0 via 10.0.2.2",
    'resolv "nameserver 10.0.2.3\\n"',
  ]);
  assert.ok(
    console.includes("eth0: DHCP lease 10.0.2.15/24 via 10.0.2.2 from 10.0.2.2, 86400 s"),
    console.join("\n"),
  );
  const [entry] = dhcp.leases();
  assert.equal(entry?.state, "bound");
  assert.equal(entry?.lease?.address, "10.0.2.15");
  dhcp.close();
});

test("the client asks for broadcast replies while it has no address, and sends its MAC", async () => {
  const { net, configure, dhcp } = world();
  configure(["eth0"]);
  await settle();
  for (const { message } of net.sent) {
    assert.equal(message.broadcast, true);
    assert.equal(message.chaddr, "52:54:00:12:34:56");
    assert.equal(message.ciaddr, "0.0.0.0");
  }
  dhcp.close();
});

test("no server: DISCOVER is retransmitted with growing delays, and boot is not held", async () => {
  const { net, clock, configure, dhcp, calls } = world();
  net.policy = () => undefined;
  configure(["eth0"]);
  assert.deepEqual(net.take(), [`DISCOVER ${BROADCAST}`]);
  const times: number[] = [];
  for (let second = 0; second < 70; second++) {
    clock.advance(S);
    if (net.take().length > 0) times.push(clock.now() / S);
  }
  // RFC 2131 backoff as DhcpClient decides it (jitter is 0 here): 4, 8, 16, 32 s apart.
  assert.deepEqual(times, [4, 12, 28, 60]);
  assert.deepEqual(calls.log, ["up eth0"]);
  assert.equal(dhcp.leases()[0]?.state, "selecting");
  dhcp.close();
  assert.equal(clock.pending, 0, "no timer left after close");
});

test("renewal at T1 is unicast to the server; its ACK keeps the address and moves the next renewal", async () => {
  const { net, clock, calls, console, configure, dhcp } = world();
  configure(["eth0"]);
  await settle();
  net.take();
  calls.log.length = 0;
  clock.advance(43_200 * S - 1);
  assert.deepEqual(net.take(), [], "nothing before T1 (half the lease)");
  clock.advance(1);
  await settle();
  assert.deepEqual(net.take(), ["REQUEST 10.0.2.2"]);
  assert.deepEqual(calls.log, ["route 0.0.0.0/0 via 10.0.2.2"], "no address removed or set again");
  assert.match(console.at(-1) ?? "", /^eth0: DHCP lease renewed: 10\.0\.2\.15\/24/);
  clock.advance(43_200 * S - 1);
  assert.deepEqual(net.take(), [], "the next renewal counts from the renewal");
  clock.advance(1);
  assert.deepEqual(net.take(), ["REQUEST 10.0.2.2"]);
  dhcp.close();
});

test("a server that stops answering: rebinding (broadcast) at T2, then at expiry the address is removed", async () => {
  const { net, clock, calls, console, configure, dhcp } = world();
  configure(["eth0"]);
  await settle();
  net.take();
  calls.log.length = 0;
  net.policy = () => undefined;
  clock.advance(75_600 * S - 1); // just before T2 (87.5%)
  assert.ok(
    net.take().every((line) => line === "REQUEST 10.0.2.2"),
    "renewing is unicast",
  );
  clock.advance(1);
  assert.deepEqual(net.take(), [`REQUEST ${BROADCAST}`]);
  clock.advance(10_800 * S - 1); // up to just before expiry
  assert.deepEqual(calls.log, []);
  clock.advance(1);
  assert.deepEqual(calls.log, ["remove eth0", 'resolv ""']);
  assert.match(console.join("\n"), /eth0: DHCP lease of 10\.0\.2\.15 lost \(expired\): address removed/);
  assert.deepEqual(net.take().at(-1), `DISCOVER ${BROADCAST}`, "and it starts over");
  assert.equal(dhcp.leases()[0]?.lease, undefined);
  dhcp.close();
});

test("a NAK on renewal removes the address and starts over at once; the new lease is applied", async () => {
  const { net, clock, calls, configure, dhcp } = world();
  configure(["eth0"]);
  await settle();
  net.take();
  calls.log.length = 0;
  net.policy = (message) => (message.ciaddr !== "0.0.0.0" ? { type: "NAK" } : answerAll()(message));
  net.yiaddr = "10.0.2.16";
  clock.advance(43_200 * S);
  await settle();
  assert.deepEqual(net.take(), ["REQUEST 10.0.2.2", `DISCOVER ${BROADCAST}`, `REQUEST ${BROADCAST}`]);
  assert.deepEqual(calls.log, [
    "remove eth0",
    'resolv ""',
    "address eth0 10.0.2.16/24",
    "route 0.0.0.0/0 via 10.0.2.2",
    'resolv "nameserver 10.0.2.3\\n"',
  ]);
  assert.equal(dhcp.leases()[0]?.lease?.address, "10.0.2.16");
  dhcp.close();
});

test("a failing system call is logged and the client goes on", async () => {
  const { net, calls, console, configure, dhcp } = world();
  calls.route = () => {
    throw new Error("ioctl(SIOCADDRT): ENETUNREACH (Network is unreachable)");
  };
  configure(["eth0"]);
  await settle();
  assert.match(console.join("\n"), /eth0: error: default route via 10\.0\.2\.2: .*ENETUNREACH/);
  assert.equal(dhcp.leases()[0]?.state, "bound");
  assert.equal(net.open.size, 1);
  dhcp.close();
  assert.equal(net.open.size, 0, "close closes the sockets");
});

test("configure: new interfaces start, absent ones stop and lose their DHCP address unless set statically", async () => {
  const { net, calls, console, configure, dhcp } = world();
  configure(["eth0", "eth1", "eth7"]);
  await settle();
  assert.match(console.join("\n"), /eth7: error: DHCP not started: no such interface/);
  assert.deepEqual(
    dhcp.leases().map((entry) => entry.name),
    ["eth0", "eth1"],
  );
  calls.log.length = 0;
  configure(["eth1"], { staticallyAddressed: [] });
  assert.deepEqual(calls.log, ["remove eth0"]);
  assert.deepEqual([...net.open], ["eth1"]);
  calls.log.length = 0;
  configure([], { staticallyAddressed: ["eth1"] });
  assert.deepEqual(calls.log, ['resolv ""'], "a static address now set on eth1 is left alone");
  assert.deepEqual(dhcp.leases(), []);
  dhcp.close();
});

test("the config's nameservers win: DHCP's are not written while there are static ones", async () => {
  const { calls, configure, dhcp } = world();
  configure(["eth0"], { staticNameservers: ["192.0.2.53"] });
  await settle();
  assert.ok(!calls.log.some((line) => line.startsWith("resolv")), calls.log.join("\n"));
  dhcp.close();
});

test("two interfaces' leases share resolv.conf, each server once, with the search domain", async () => {
  const { net, calls, configure, dhcp } = world();
  net.policy = answerAll({ ...SLIRP_OPTIONS, dnsServers: ["10.0.2.3", "1.1.1.1"], domainName: "lan" });
  configure(["eth0", "eth1"]);
  await settle();
  assert.equal(
    calls.log.filter((line) => line.startsWith("resolv")).at(-1),
    'resolv "search lan\\nnameserver 10.0.2.3\\nnameserver 1.1.1.1\\n"',
  );
  let changes = 0;
  const unsubscribe = dhcp.subscribe(() => changes++);
  configure(["eth0"]);
  assert.equal(changes, 1);
  unsubscribe();
  dhcp.close();
});
