import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  cidrsOverlap,
  formatCidr,
  formatIpAddress,
  networkOf,
  parseCidr,
  parseIpAddress,
} from "./ip-address.ts";

test("addresses parse in both families and refuse zones and junk", () => {
  assert.deepEqual(parseIpAddress("10.0.0.1"), { family: 4, value: 0x0a000001n });
  assert.deepEqual(parseIpAddress("::1"), { family: 6, value: 1n });
  assert.deepEqual(parseIpAddress("::ffff:1.2.3.4"), { family: 6, value: 0xffff01020304n });
  for (const bad of ["fe80::1%eth0", "10.0.0", "256.0.0.1", "1::2::3", "", "10.0.0.1/8"]) {
    assert.equal(parseIpAddress(bad), undefined, bad);
  }
});

test("prefixes parse, with host bits noticed", () => {
  assert.deepEqual(parseCidr("10.244.0.0/16"), {
    family: 4,
    value: 0x0af40000n,
    prefix: 16,
    hostBitsSet: false,
  });
  assert.equal(parseCidr("10.244.0.1/16")?.hostBitsSet, true);
  assert.equal(parseCidr("fd00::/64")?.prefix, 64);
  for (const bad of ["10.0.0.0/33", "fd00::/129", "10.0.0.0/", "10.0.0.0/08", "10.0.0.0", "x/8"]) {
    assert.equal(parseCidr(bad), undefined, bad);
  }
});

test("overlap is judged on the shorter prefix, never across families", () => {
  const c = (t: string) => parseCidr(t)!;
  assert.equal(cidrsOverlap(c("10.0.0.0/8"), c("10.96.0.0/12")), true);
  assert.equal(cidrsOverlap(c("10.244.0.0/16"), c("10.96.0.0/12")), false);
  assert.equal(cidrsOverlap(c("0.0.0.0/0"), c("::/0")), false);
  assert.equal(cidrsOverlap(c("fd00::/8"), c("fd00:10::/32")), true);
});

test("formatting follows RFC 5952 and round-trips through parsing", () => {
  assert.equal(formatIpAddress(parseIpAddress("FD00:0:0:0:0:0:0:1")!), "fd00::1");
  assert.equal(formatIpAddress(parseIpAddress("1:0:0:2:0:0:0:3")!), "1:0:0:2::3");
  assert.equal(formatCidr(networkOf(parseCidr("192.168.1.77/24")!)), "192.168.1.0/24");
  fc.assert(
    fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (text) => {
      const address = parseIpAddress(text);
      assert.ok(address, text);
      assert.deepEqual(parseIpAddress(formatIpAddress(address)), address);
    }),
    { numRuns: 1000 },
  );
});
