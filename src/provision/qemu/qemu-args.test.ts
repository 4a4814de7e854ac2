import assert from "node:assert/strict";
import { test } from "node:test";
import { qemuArgs } from "./qemu-args.ts";

const spec = {
  kernel: "/img/vmlinuz",
  initrd: "/img/initramfs.zst",
  drives: [{ file: "/img/rootfs.sqsh", readOnly: true }],
};
const value = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

test("boots the kernel directly with the console on the serial port", () => {
  const args = qemuArgs({ ...spec, append: ["stele.root=/dev/vda"] }, "tcg");
  assert.equal(value(args, "-kernel"), "/img/vmlinuz");
  assert.equal(value(args, "-initrd"), "/img/initramfs.zst");
  assert.equal(
    value(args, "-append"),
    "console=ttyS0 panic=-1 slab_nomerge pti=on init_on_alloc=1 stele.root=/dev/vda",
  );
  assert.equal(value(args, "-serial"), "stdio");
  for (const flag of ["-nographic", "-no-reboot"]) assert.ok(args.includes(flag), flag);
});

test("attaches the root image as a read-only raw virtio disk", () => {
  assert.equal(
    value(qemuArgs(spec, "tcg"), "-drive"),
    "file=/img/rootfs.sqsh,if=virtio,format=raw,readonly=on",
  );
  assert.equal(
    value(qemuArgs({ ...spec, drives: [{ file: "/img/disk.raw" }] }, "tcg"), "-drive"),
    "file=/img/disk.raw,if=virtio,format=raw",
  );
});

test("uses -cpu max under TCG and -cpu host under KVM, 1024 MiB and 2 CPUs unless told", () => {
  const tcg = qemuArgs(spec, "tcg");
  assert.deepEqual(
    [value(tcg, "-accel"), value(tcg, "-cpu"), value(tcg, "-m"), value(tcg, "-smp")],
    ["tcg", "max", "1024", "2"],
  );
  const kvm = qemuArgs({ ...spec, memoryMiB: 512, cpus: 1 }, "kvm");
  assert.deepEqual(
    [value(kvm, "-accel"), value(kvm, "-cpu"), value(kvm, "-m"), value(kvm, "-smp")],
    ["kvm", "host", "512", "1"],
  );
});

test("refuses a drive path with a comma, which QEMU would split", () => {
  assert.throws(() => qemuArgs({ ...spec, drives: [{ file: "/img/a,b.sqsh" }] }, "tcg"), {
    name: "SteleError",
    code: "invalid-argument",
  });
});

test("no NIC unless asked; host forwards give a virtio NIC on user networking, bound to loopback", () => {
  assert.equal(value(qemuArgs(spec, "tcg"), "-nic"), "none");
  const args = qemuArgs({ ...spec, hostForwards: [{ hostPort: 40123, guestPort: 50000 }] }, "tcg");
  assert.equal(value(args, "-nic"), "user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:40123-:50000");
  assert.ok(args.includes("-no-reboot"), "a reboot(2) of the guest still ends QEMU");
  assert.throws(() => qemuArgs({ ...spec, hostForwards: [{ hostPort: 0, guestPort: 50000 }] }, "tcg"), {
    code: "invalid-argument",
  });
});
