import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_ETCD_IMAGE } from "../machinery/constants.ts";
import { checkEtcdVersion } from "./build-etcd-image.ts";
import { osRelease } from "./build-rootfs.ts";

test("Debian's etcd may carry the tag of the same etcd release only", () => {
  checkEtcdVersion(DEFAULT_ETCD_IMAGE, "3.5.16-4");
  checkEtcdVersion("registry.k8s.io/etcd:3.5.16-0", "3.5.16-4+deb13u1");
  checkEtcdVersion("registry.k8s.io/etcd:3.5.16-0", "1:3.5.16+dfsg-1");
  assert.throws(
    () => checkEtcdVersion("registry.k8s.io/etcd:3.5.16-0", "3.5.17-1"),
    /^SteleError: Debian's etcd-server 3\.5\.17-1 does not match the etcd image registry\.k8s\.io\/etcd:3\.5\.16-0: expected etcd 3\.5\.16$/,
  );
});

test("os-release names Stele and its version", () => {
  assert.equal(osRelease("0.1.0"), 'NAME="Stele"\nID=stele\nVERSION_ID=0.1.0\nPRETTY_NAME="Stele 0.1.0"\n');
});
