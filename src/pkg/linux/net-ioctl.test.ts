import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import {
  encodeIfreq,
  encodeRtentry,
  encodeSockaddrIn,
  netmaskToPrefix,
  prefixToNetmask,
} from "./net-ioctl.ts";

test("sockaddr_in: AF_INET in host order, the address in network order", () => {
  assert.deepEqual([...encodeSockaddrIn("10.0.2.15")], [2, 0, 0, 0, 10, 0, 2, 15, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.throws(() => encodeSockaddrIn("10.0.2"), { code: "invalid-argument" });
  assert.throws(() => encodeSockaddrIn("10.0.2.256"), { code: "invalid-argument" });
});

test("ifreq: the NUL-terminated name, then the sockaddr at offset 16; a name of 16 bytes is refused", () => {
  const request = encodeIfreq("eth0", encodeSockaddrIn("255.255.255.0"));
  assert.equal(request.length, 40);
  assert.equal(request.subarray(0, 5).toString("latin1"), "eth0\0");
  assert.deepEqual([...request.subarray(20, 24)], [255, 255, 255, 0]);
  assert.throws(() => encodeIfreq("a".repeat(16)), { code: "invalid-argument" });
  assert.throws(() => encodeIfreq(""), { code: "invalid-argument" });
});

test("rtentry: a default route through a gateway sets RTF_UP|RTF_GATEWAY and the gateway at offset 24", () => {
  const entry = encodeRtentry({ destination: "0.0.0.0", prefix: 0, gateway: "10.0.2.2" });
  assert.equal(entry.length, 120);
  assert.deepEqual([...entry.subarray(28, 32)], [10, 0, 2, 2]);
  assert.equal(entry.readUInt16LE(56), 0x3);
  assert.equal(encodeRtentry({ destination: "10.1.0.0", prefix: 16 }).readUInt16LE(56), 0x1);
});

test("netmask and prefix length convert both ways for every prefix; a non-contiguous mask is refused", () => {
  assert.equal(prefixToNetmask(24), "255.255.255.0");
  assert.equal(prefixToNetmask(0), "0.0.0.0");
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 32 }),
      (prefix) => netmaskToPrefix(prefixToNetmask(prefix)) === prefix,
    ),
  );
  assert.throws(() => netmaskToPrefix("255.0.255.0"), { code: "invalid-argument" });
  assert.throws(() => prefixToNetmask(33), { code: "invalid-argument" });
});

const isRoot = process.getuid?.() === 0;

test("in a network namespace of its own: lo up, an address and a default route by ioctl", {
  skip: !isRoot && "needs root for unshare --net",
}, () => {
  const index = join(import.meta.dirname, "index.ts");
  const script = `
    import { readFileSync } from "node:fs";
    import { networkInterfaces } from "node:os";
    import { addRoute, setInterfaceAddress, setInterfaceUp } from ${JSON.stringify(index)};
    setInterfaceUp("lo");
    setInterfaceAddress("lo", "127.0.0.9", 8);
    addRoute({ destination: "0.0.0.0", prefix: 0, gateway: "127.0.0.1" });
    addRoute({ destination: "0.0.0.0", prefix: 0, gateway: "127.0.0.1" }, { ignoreExisting: true });
    let again = "";
    try { addRoute({ destination: "0.0.0.0", prefix: 0, gateway: "127.0.0.1" }); } catch (e) { again = e.message; }
    let missing = "";
    try { setInterfaceUp("nosuch0"); } catch (e) { missing = e.message; }
    console.log(JSON.stringify({ lo: networkInterfaces().lo?.find((a) => a.family === "IPv4")?.cidr,
      routes: readFileSync("/proc/net/route", "utf8"), again, missing }));`;
  const run = spawnSync("unshare", ["--net", process.execPath, "--input-type=module", "-e", script], {
    encoding: "utf8",
  });
  assert.equal(run.status, 0, run.stderr);
  const result = JSON.parse(run.stdout) as { lo: string; routes: string; again: string; missing: string };
  assert.equal(result.lo, "127.0.0.9/8");
  assert.match(result.routes, /^lo\s+00000000\s+0100007F\s+0003/m);
  assert.match(result.again, /SIOCADDRT.*EEXIST/);
  assert.match(result.missing, /SIOCGIFFLAGS.*"nosuch0".*ENODEV/);
});
