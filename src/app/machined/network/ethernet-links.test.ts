import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { listPhysicalEthernet, readHardwareAddress } from "./ethernet-links.ts";

const root = mkdtempSync(join(tmpdir(), "stele-sysfs-"));
after(() => rmSync(root, { recursive: true, force: true }));

/** A fake /sys/class/net entry: its type, MAC and which marker directories it has. */
function link(name: string, options: { type?: number; mac?: string; has?: string[] }) {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "type"), `${options.type ?? 1}\n`);
  writeFileSync(join(dir, "address"), `${options.mac ?? "52:54:00:12:34:56"}\n`);
  for (const marker of options.has ?? []) mkdirSync(join(dir, marker));
}

test("physical Ethernet only: virtio and PCI NICs, not lo, veth, bridges, Wi-Fi or tunnels; in natural order", () => {
  link("lo", { type: 772, mac: "00:00:00:00:00:00" });
  link("eth10", { has: ["device"] });
  link("eth2", { has: ["device"] });
  link("enp0s3", { has: ["device"] });
  link("veth1a2b", {});
  link("br0", { has: ["bridge"] });
  link("wlan0", { has: ["device", "wireless"] });
  link("tun0", { type: 65534, has: ["device"] });
  assert.deepEqual(listPhysicalEthernet(root), ["enp0s3", "eth2", "eth10"]);
  assert.deepEqual(listPhysicalEthernet(join(root, "absent")), []);
});

test("the MAC address of an interface, lower case; none for a missing interface or a path", () => {
  link("ens3", { mac: "52:54:00:AB:CD:EF", has: ["device"] });
  assert.equal(readHardwareAddress("ens3", root), "52:54:00:ab:cd:ef");
  assert.equal(readHardwareAddress("nosuch0", root), undefined);
  assert.equal(readHardwareAddress("../ens3", root), undefined);
});
