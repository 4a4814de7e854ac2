/**
 * End-to-end: a one-node cluster of VMs made by the real `stelectl cluster create --provisioner
 * qemu` with its default UEFI boot (OVMF, the raw disk image grown to the node's disk; TCG here, as
 * the accelerator is detected): QEMU in the cluster's network
 * namespace on a tap, its config applied through maintenance mode pinned to the fingerprint on its
 * serial console, etcd bootstrapped in the VM from the etcd image that the cluster's image-cache
 * disk brings (there is no registry here), its address from the provisioner's DHCP server and
 * EPHEMERAL grown to the disk on first boot, `stelectl health` green; then `cluster destroy`
 * must leave no QEMU, DHCP server, tap, bridge, namespace, link or directory behind.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { findQemuLeftovers, planQemuCluster } from "../../src/provision/qemu-cluster/index.ts";
import { stelectlRunner } from "./stelectl-runner.ts";

const NAME = `qe2e${Math.floor(Math.random() * 0xffff).toString(16)}`;
/** A /28 of this run's own inside 10.249.0.0/16, so two runs never collide. */
const NET = `10.249.${Math.floor(Math.random() * 250)}`;
const CIDR = `${NET}.0/28`;
const NODE = `${NET}.2`;
/**
 * Under TCG on 2 cores (images current): create ≈ 170 s (boot to the maintenance fingerprint, apply,
 * machined re-executing into the config, etcd imported from the image cache, bootstrap, health), the
 * whole file ≈ 3 min. Each wait of create may take 3 minutes.
 */
const CREATE_TIMEOUT_MS = 420_000;
let dir = "";
let stateDir = "";
let clientConfig = "";

const { run: stelectl, ok } = stelectlRunner(() => clientConfig);

before(() => {
  dir = mkdtempSync(join(tmpdir(), "stele-qemu-e2e-"));
  stateDir = join(dir, "clusters");
  clientConfig = join(dir, "stelectlconfig");
});

after(() => {
  // Whatever happened, nothing of the cluster may stay: destroy works on half-made clusters too.
  const run = stelectl(["cluster", "destroy", "--name", NAME, "--state-dir", stateDir], 120_000);
  if (run.status !== 0) process.stderr.write(`cluster destroy in cleanup: ${run.stdout}${run.stderr}\n`);
  rmSync(dir, { recursive: true, force: true });
});

describe("a one-node QEMU cluster, UEFI boot from the raw image", { timeout: 600_000 }, () => {
  test("cluster create boots the VM, applies its config through maintenance mode and waits for health", (t) => {
    const started = Date.now();
    // Kept on failure (`after` destroys it), so that the message can quote the VM's own console.
    const create = stelectl(
      [
        ...["cluster", "create", "--provisioner", "qemu", "--name", NAME],
        ...["--controlplanes", "1", "--workers", "0", "--memory", "1024"],
        ...["--cidr", CIDR, "--state-dir", stateDir, "--wait-timeout", "3m", "--skip-teardown-on-failure"],
      ],
      CREATE_TIMEOUT_MS,
    );
    if (create.status !== 0) {
      const plan = planQemuCluster({ name: NAME, stateDir, cidr: CIDR, controlPlanes: 1, workers: 0 });
      const consoleFile = join(plan.nodes[0]!.nodeDir, "console.log");
      const tail = existsSync(consoleFile)
        ? readFileSync(consoleFile, "utf8").split("\n").slice(-80).join("\n")
        : "(none)";
      assert.fail(
        `cluster create failed:\n${create.stdout}\n${create.stderr}\nthe VM's console, last lines:\n${tail}`,
      );
    }
    const out = create.stdout;
    t.diagnostic(`cluster create: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assert.match(out, new RegExp(NODE.replaceAll(".", "\\.")));
    assert.match(out, /accelerator: (tcg|kvm)/);
    const show = ok(["cluster", "show", "--name", NAME, "--state-dir", stateDir]);
    assert.match(
      show,
      new RegExp(
        `${NAME}-controlplane-1\\s+controlplane\\s+${NODE.replaceAll(".", "\\.")}\\s+52:54:00(:[0-9a-f]{2}){3}\\s+\\d+\\s+running`,
      ),
    );
  });

  test("stelectl health is green, and etcd in the VM lists the node as its member", () => {
    ok(["health", "--control-plane-nodes", NODE, "--wait-timeout", "60s"], 120_000);
    assert.match(ok(["-n", NODE, "etcd", "members"]), new RegExp(`${NAME}-controlplane-1`));
  });

  test("the VM mounted the cluster's image-cache disk, attached after its own disks, and said so on its console", () => {
    // The API reads only under /var: the serial console, kept in the cluster dir, is what tells.
    const plan = planQemuCluster({ name: NAME, stateDir, cidr: CIDR, controlPlanes: 1, workers: 0 });
    const consoleLog = readFileSync(join(plan.nodes[0]!.nodeDir, "console.log"), "utf8");
    // vda is the node's disk (the raw image): the cache comes after it.
    assert.match(consoleLog, /machined: image cache: \/dev\/vdb mounted, 1 archive\r?$/m);
    // Booted from the raw image, on a disk larger than the image: EPHEMERAL grew on the first boot.
    assert.match(consoleLog, /EPHEMERAL grown to the end of \/dev\/vda/);
    // …and the kernel took the new size of that one partition while the root was mounted from BOOT-A.
    assert.match(consoleLog, /\/dev\/vda: the kernel resized partition 7 \(EPHEMERAL\)/);
    // The address came from the provisioner's DHCP server, as a real machine gets its own.
    assert.match(consoleLog, new RegExp(`DHCP lease ${NODE.replaceAll(".", "\\.")}/28`));
    assert.match(
      consoleLog,
      /Imported image registry\.k8s\.io\/etcd:[\w.-]+ from \/system\/image-cache\/etcd\.oci\.tar/,
    );
  });

  test("cluster destroy leaves no QEMU, DHCP server, tap, bridge, namespace, link or directory", async (t) => {
    const started = Date.now();
    ok(["cluster", "destroy", "--name", NAME, "--state-dir", stateDir], 120_000);
    t.diagnostic(`cluster destroy: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const plan = planQemuCluster({ name: NAME, stateDir, cidr: CIDR, controlPlanes: 1, workers: 0 });
    assert.deepEqual(await findQemuLeftovers({ ...plan, nodes: plan.nodes.map((n) => ({ ...n })) }), []);
    assert.equal(spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout.includes(plan.netns), false);
  });
});
