import assert from "node:assert/strict";
import { test } from "node:test";
import { apidSubjectAltNames } from "./apid-subject-alt-names.ts";

test("every name a client may dial is in the certificate, once, split into DNS names and IPs", () => {
  const sans = apidSubjectAltNames({
    certSANs: ["Node-1.example.com", "10.0.0.11"],
    hostname: "node-1",
    listen: "10.0.0.11:50000",
    addresses: ["10.0.0.11/24", "fd00::11/64", "fe80::1%eth0", "192.168.1.5"],
  });
  assert.deepEqual(sans, {
    hostnames: ["node-1.example.com", "node-1"],
    ips: ["10.0.0.11", "fd00::11", "192.168.1.5"],
  });
});

test("a wildcard listen address names no one", () => {
  assert.deepEqual(apidSubjectAltNames({ listen: "0.0.0.0:50000" }), { hostnames: [], ips: [] });
  assert.deepEqual(apidSubjectAltNames({ listen: "[::]:50000" }), { hostnames: [], ips: [] });
  assert.deepEqual(apidSubjectAltNames({ listen: "[fd00::2]:50000" }), { hostnames: [], ips: ["fd00::2"] });
});
