import assert from "node:assert/strict";
import { test } from "node:test";
import { attemptKey, peerHost } from "./peer-host.ts";

const hosts: Array<[string, string]> = [
  ["10.0.0.5:51234", "10.0.0.5"],
  ["::1:51234", "::1"],
  // Also a valid IPv6 address: the port must still be cut, or each source port would count alone.
  ["::1:5000", "::1"],
  ["fd00::7:1024", "fd00::7"],
  ["[fd00::7]:51234", "fd00::7"],
  ["::ffff:10.0.0.5:51234", "10.0.0.5"],
];
for (const [peer, host] of hosts) {
  test(`peer ${peer} is host ${host}`, () => assert.equal(peerHost(peer), host));
}

const keys: Array<[string, string]> = [
  ["10.0.0.5", "10.0.0.5"],
  ["fd00:1:2:3:4:5:6:7", "fd00:1:2:3::/64"],
  ["fd00:1:2:3::9", "fd00:1:2:3::/64"],
  ["fd00::7", "fd00:0:0:0::/64"],
  ["::1", "0:0:0:0::/64"],
  ["2001:DB8:0:00A0:ffff::1", "2001:db8:0:a0::/64"],
];
for (const [host, key] of keys) {
  test(`failed attempts of ${host} count under ${key}`, () => assert.equal(attemptKey(host), key));
}
