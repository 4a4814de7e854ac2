import assert from "node:assert/strict";
import { test } from "node:test";
import { type QemuNodeSpec, qemuNodeArgs } from "./qemu-node-args.ts";

const direct: QemuNodeSpec = {
  name: "dev-controlplane-1",
  accelerator: "tcg",
  memoryMiB: 1024,
  boot: {
    kind: "direct",
    kernel: "/c/vmlinuz",
    initrd: "/c/initramfs.zst",
    append: ["ip=10.5.0.2::10.5.0.1:255.255.255.0::eth0:off"],
  },
  drives: [{ file: "/c/rootfs.sqsh", readOnly: true }, { file: "/c/n/data.raw" }],
  tap: "tap1",
  mac: "52:54:00:ab:cd:ef",
  consoleLog: "/c/n/console.log",
  pidFile: "/c/n/qemu.pid",
};
const uefi: QemuNodeSpec = {
  ...direct,
  boot: { kind: "uefi", code: "/usr/share/OVMF/OVMF_CODE_4M.fd", vars: "/c/n/OVMF_VARS.fd" },
  drives: [{ file: "/c/n/disk.raw" }],
};
const values = (args: string[], flag: string) =>
  args.flatMap((arg, i) => (args[i - 1] === flag ? [arg] : []));
const value = (args: string[], flag: string) => values(args, flag)[0];

test("direct boot: the kernel, the initramfs, the console on ttyS0, the hardening and the static address", () => {
  const args = qemuNodeArgs(direct);
  assert.equal(value(args, "-kernel"), "/c/vmlinuz");
  assert.equal(value(args, "-initrd"), "/c/initramfs.zst");
  assert.equal(
    value(args, "-append"),
    "console=ttyS0 panic=-1 slab_nomerge pti=on init_on_alloc=1 ip=10.5.0.2::10.5.0.1:255.255.255.0::eth0:off",
  );
  assert.deepEqual(values(args, "-drive"), [
    "file=/c/rootfs.sqsh,if=virtio,format=raw,readonly=on",
    "file=/c/n/data.raw,if=virtio,format=raw",
  ]);
  assert.equal(value(args, "-machine"), undefined);
  assert.ok(!args.includes("-no-reboot"), "a node's reboot resets the VM instead of ending it");
});

test("UEFI boot: q35, OVMF code read-only and the node's own variables writable, no -kernel", () => {
  const args = qemuNodeArgs(uefi);
  assert.equal(value(args, "-machine"), "q35");
  assert.deepEqual(values(args, "-drive"), [
    "if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd",
    "if=pflash,format=raw,unit=1,file=/c/n/OVMF_VARS.fd",
    "file=/c/n/disk.raw,if=virtio,format=raw",
  ]);
  for (const flag of ["-kernel", "-initrd", "-append"]) assert.ok(!args.includes(flag), flag);
});

test("the NIC is virtio on the node's tap, with no host scripts, and the node's MAC", () => {
  const args = qemuNodeArgs(direct);
  assert.equal(value(args, "-netdev"), "tap,id=net0,ifname=tap1,script=no,downscript=no");
  assert.equal(value(args, "-device"), "virtio-net-pci,netdev=net0,mac=52:54:00:ab:cd:ef");
  assert.throws(() => qemuNodeArgs({ ...direct, tap: "tap1,script=/bin/evil" }), {
    code: "invalid-argument",
  });
  assert.throws(() => qemuNodeArgs({ ...direct, mac: "52:54:00:ab:cd" }), { code: "invalid-argument" });
});

test("a TPM is swtpm's socket behind tpm-tis; none without a socket", () => {
  assert.ok(!qemuNodeArgs(direct).includes("-tpmdev"));
  const args = qemuNodeArgs({ ...uefi, tpmSocket: "/c/n/swtpm.sock" });
  assert.equal(value(args, "-chardev"), "socket,id=chrtpm,path=/c/n/swtpm.sock");
  assert.equal(value(args, "-tpmdev"), "emulator,id=tpm0,chardev=chrtpm");
  assert.deepEqual(values(args, "-device").at(-1), "tpm-tis,tpmdev=tpm0");
});

test("the console goes to the node's file, QEMU writes its PID, and nothing needs a terminal", () => {
  const args = qemuNodeArgs(direct);
  assert.equal(value(args, "-serial"), "file:/c/n/console.log");
  assert.equal(value(args, "-pidfile"), "/c/n/qemu.pid");
  assert.equal(value(args, "-display"), "none");
  assert.equal(value(args, "-monitor"), "none");
  assert.ok(!args.includes("stdio"));
});

test("TCG runs -cpu max, KVM -cpu host, with the planned memory", () => {
  assert.deepEqual([value(qemuNodeArgs(direct), "-cpu"), value(qemuNodeArgs(direct), "-m")], ["max", "1024"]);
  const kvm = qemuNodeArgs({ ...direct, accelerator: "kvm", memoryMiB: 512 });
  assert.deepEqual([value(kvm, "-accel"), value(kvm, "-cpu"), value(kvm, "-m")], ["kvm", "host", "512"]);
});

test("a path with a comma is refused: QEMU would split it into options", () => {
  assert.throws(() => qemuNodeArgs({ ...uefi, drives: [{ file: "/c/a,b/disk.raw" }] }), {
    code: "invalid-argument",
    message: /contains a comma/,
  });
});
