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

test("boots through UEFI firmware on q35: OVMF code read-only and the VM's own variable store as pflash", () => {
  const firmware = { code: "/usr/share/OVMF/OVMF_CODE_4M.fd", vars: "/vm/vars.fd" };
  const args = qemuArgs({ firmware, drives: [{ file: "/img/stele.raw" }] }, "tcg");
  assert.equal(value(args, "-machine"), "q35");
  const drives = args.filter((_, i) => args[i - 1] === "-drive");
  assert.deepEqual(drives, [
    "if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd",
    "if=pflash,format=raw,unit=1,file=/vm/vars.fd",
    "file=/img/stele.raw,if=virtio,format=raw",
  ]);
  for (const flag of ["-kernel", "-initrd", "-append"]) assert.ok(!args.includes(flag), flag);
});

test("attaches an ISO as a CD-ROM and a disk as NVMe when asked", () => {
  const firmware = { code: "/fw/code.fd", vars: "/fw/vars.fd" };
  const args = qemuArgs(
    { firmware, cdrom: "/img/stele.iso", drives: [{ file: "/img/disk.raw", interface: "nvme" }] },
    "tcg",
  );
  assert.ok(args.includes("file=/img/stele.iso,media=cdrom,format=raw,readonly=on"), args.join(" "));
  assert.ok(args.includes("file=/img/disk.raw,if=none,id=nvme0,format=raw"), args.join(" "));
  assert.equal(value(args, "-device"), "nvme,drive=nvme0,serial=stele0");
});

test("refuses a VM with nothing to boot, a kernel without initramfs, and commas in firmware paths", () => {
  assert.throws(() => qemuArgs({}, "tcg"), /nothing to boot/);
  // A disk alone boots through QEMU's legacy BIOS: no -kernel, no pflash, no q35.
  const bios = qemuArgs({ drives: [{ file: "/img/disk.raw" }] }, "tcg");
  assert.ok(!bios.includes("-kernel") && !bios.includes("q35") && !bios.join(" ").includes("pflash"));
  assert.throws(() => qemuArgs({ kernel: "/img/vmlinuz" }, "tcg"), /a kernel without an initramfs/);
  assert.throws(() => qemuArgs({ firmware: { code: "/a,b.fd", vars: "/v.fd" } }, "tcg"), {
    code: "invalid-argument",
    message: /Invalid firmware path for QEMU/,
  });
});
