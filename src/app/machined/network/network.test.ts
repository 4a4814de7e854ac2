import assert from "node:assert/strict";
import { test } from "node:test";
import { parseConfig } from "../../../machinery/config/parse-config.ts";
import { applyStaticNetwork, type NetworkCalls } from "./apply-static-network.ts";
import { configureNetwork } from "./configure-network.ts";
import type { DhcpTargets } from "./dhcp-network.ts";
import { kernelIpNetwork } from "./kernel-ip-param.ts";
import { staticNetworkFromConfig } from "./static-network.ts";

const HEAD =
  "apiVersion: stele.dev/v1alpha1\nkind: MachineConfig\ntype: controlplane\ntoken: abcdef.0123456789abcdef\nca:\n  crt: placeholder\n";
const CONFIG = `${HEAD}network:
  interfaces:
    - name: eth1
      addresses: [192.168.7.4/24, fd00::4/64]
      routes:
        - network: 0.0.0.0/0
          gateway: 192.168.7.1
  nameservers: [192.168.7.53, 1.1.1.1]
`;

function spyCalls(fail: (call: string) => boolean = () => false): NetworkCalls & { log: string[] } {
  const log: string[] = [];
  const record = (call: string) => {
    if (fail(call)) throw new Error(`${call}: ENODEV (No such device)`);
    log.push(call);
  };
  return {
    log,
    up: (name) => record(`up ${name}`),
    address: (name, address, prefix) => record(`address ${name} ${address}/${prefix}`),
    route: (route) => record(`route ${route.destination}/${route.prefix} ${route.gateway ?? "-"}`),
    writeResolvConf: (text) => record(`resolv ${JSON.stringify(text)}`),
  };
}

test("the kernel's ip= word gives the address, the mask as a prefix, the device and a default route", () => {
  assert.deepEqual(kernelIpNetwork("console=ttyS0 ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:off panic=-1"), {
    source: "cmdline",
    interfaces: [
      {
        name: "eth0",
        addresses: [{ address: "10.0.2.15", prefix: 24 }],
        routes: [{ destination: "0.0.0.0", prefix: 0, gateway: "10.0.2.2" }],
      },
    ],
    nameservers: [],
    skipped: [],
  });
  assert.deepEqual(kernelIpNetwork("ip=10.1.0.5:::255.255.0.0::ens3")?.interfaces[0]?.routes, []);
});

test("ip= that asks for autoconfiguration, or lacks the device or mask, is no static network", () => {
  for (const cmdline of [
    "console=ttyS0",
    "ip=dhcp",
    "ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:dhcp",
    "ip=10.0.2.15::10.0.2.2:::eth0:off",
    "ip=10.0.2.15::10.0.2.2:255.255.255.0:::off",
  ]) {
    assert.equal(kernelIpNetwork(cmdline), undefined, cmdline);
  }
});

test("the config's interfaces: IPv4 address and routes kept, IPv6 listed as skipped", () => {
  const network = staticNetworkFromConfig(parseConfig(CONFIG, { file: "c.yaml" }).machineConfig);
  assert.deepEqual(network?.interfaces, [
    {
      name: "eth1",
      addresses: [{ address: "192.168.7.4", prefix: 24 }],
      routes: [{ destination: "0.0.0.0", prefix: 0, gateway: "192.168.7.1" }],
    },
  ]);
  assert.deepEqual(network?.nameservers, ["192.168.7.53", "1.1.1.1"]);
  assert.match(network?.skipped.join("\n") ?? "", /eth1 fd00::4\/64: only IPv4/);
  assert.equal(staticNetworkFromConfig(parseConfig(HEAD, { file: "c.yaml" }).machineConfig), undefined);
});

test("a config with interfaces wins over ip=; one without leaves ip= in force", () => {
  const cmdline = "ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:off";
  const fromConfig = configureNetwork(CONFIG, { cmdline, calls: spyCalls() });
  assert.equal(fromConfig.network?.source, "config");
  const fromCmdline = configureNetwork(HEAD, { cmdline, calls: spyCalls() });
  assert.equal(fromCmdline.network?.source, "cmdline");
  const broken = configureNetwork("kind: nonsense", { cmdline, calls: spyCalls() });
  assert.equal(broken.network?.source, "cmdline", "a config that does not parse leaves the node reachable");
});

test("applies lo, then address, up and routes, then resolv.conf; a failing step does not stop the rest", () => {
  const calls = spyCalls((call) => call === "up eth9");
  const network = kernelIpNetwork("ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:off")!;
  network.interfaces.push({ name: "eth9", addresses: [], routes: [] });
  network.nameservers.push("10.0.2.3");
  const result = applyStaticNetwork(network, calls);
  assert.deepEqual(calls.log, [
    "up lo",
    "address eth0 10.0.2.15/24",
    "up eth0",
    "route 0.0.0.0/0 10.0.2.2",
    'resolv "nameserver 10.0.2.3\\n"',
  ]);
  assert.deepEqual(result.failed, ["eth9 up: up eth9: ENODEV (No such device)"]);
  assert.deepEqual(applyStaticNetwork(undefined, spyCalls()).applied, ["lo up"]);
});

test("DHCP runs where the config says dhcp: true, else nowhere when ip= is set, else on every physical Ethernet", () => {
  const targets: DhcpTargets[] = [];
  const dhcp = { configure: (t: DhcpTargets) => targets.push(t) };
  const physicalEthernet = () => ["ens3", "ens4"];
  const withDhcp = `${HEAD}network:\n  hostname: node-1\n  interfaces:\n    - name: eth1\n      addresses: [192.168.7.4/24]\n    - name: eth2\n      dhcp: true\n  nameservers: [192.168.7.53]\n`;
  const cmdline = "ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:off";
  assert.deepEqual(configureNetwork(withDhcp, { cmdline, calls: spyCalls(), dhcp, physicalEthernet }).dhcp, {
    interfaces: ["eth2"],
    source: "config",
  });
  assert.deepEqual(targets.at(-1), {
    interfaces: ["eth2"],
    staticNameservers: ["192.168.7.53"],
    staticallyAddressed: ["eth1"],
    hostname: "node-1",
  });
  assert.deepEqual(
    configureNetwork(HEAD, { cmdline, calls: spyCalls(), dhcp, physicalEthernet }).dhcp.source,
    "none",
  );
  assert.deepEqual(targets.at(-1)?.interfaces, [], "ip= in force: DHCP stops where it ran");
  for (const config of [undefined, HEAD, "kind: nonsense"]) {
    const none = configureNetwork(config, {
      cmdline: "console=ttyS0 ip=dhcp",
      calls: spyCalls(),
      dhcp,
      physicalEthernet,
    });
    assert.deepEqual(none.dhcp, { interfaces: ["ens3", "ens4"], source: "automatic" });
    assert.equal(none.network, undefined);
  }
  const noLinks = configureNetwork(undefined, { cmdline: "", calls: spyCalls(), physicalEthernet: () => [] });
  assert.deepEqual(noLinks.dhcp, { interfaces: [], source: "none" });
});
