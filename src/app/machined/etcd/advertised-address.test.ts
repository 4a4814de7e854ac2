import assert from "node:assert/strict";
import { test } from "node:test";
import { etcdAdvertisedAddress } from "./advertised-address.ts";

const node = ["127.0.0.1/8", "fd00::2/64", "10.5.0.2/24", "192.168.1.7/24", "::1/128"];

test("without advertisedSubnets etcd advertises the first IPv4 address that is not loopback", () => {
  assert.equal(etcdAdvertisedAddress(node), "10.5.0.2");
});

test("with advertisedSubnets etcd advertises the first node address inside one of them", () => {
  assert.equal(etcdAdvertisedAddress(node, { advertisedSubnets: ["192.168.0.0/16"] }), "192.168.1.7");
  assert.equal(etcdAdvertisedAddress(node, { advertisedSubnets: ["fd00::/8", "10.0.0.0/8"] }), "fd00::2");
  assert.equal(etcdAdvertisedAddress(node, { advertisedSubnets: ["10.5.0.2/32"] }), "10.5.0.2");
});

test("no address qualifies: undefined, so etcd waits instead of advertising a wrong one", () => {
  assert.equal(etcdAdvertisedAddress(["127.0.0.1/8", "::1/128"]), undefined);
  assert.equal(etcdAdvertisedAddress(node, { advertisedSubnets: ["172.16.0.0/12"] }), undefined);
  assert.equal(etcdAdvertisedAddress([]), undefined);
});
