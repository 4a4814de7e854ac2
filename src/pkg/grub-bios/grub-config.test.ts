import assert from "node:assert/strict";
import { test } from "node:test";
import { grubBlocklistConfig } from "./index.ts";

const entry = {
  kernel: { offset: 84954 * 512, length: 22924 * 512 },
  initrd: { offset: 1920 * 512, length: 83034 * 512 - 100 },
  cmdline: "console=tty0 console=ttyS0,115200",
  title: "Stele 0.1.0",
};

test("grub.cfg boots the kernel and the initramfs as block lists of $root, with the command line", () => {
  const text = grubBlocklistConfig(entry);
  assert.match(text, /^ {2}linux \(\$root\)84954\+22924 console=tty0 console=ttyS0,115200$/m);
  // The initramfs is rounded up to a whole sector.
  assert.match(text, /^ {2}initrd \(\$root\)1920\+83034$/m);
  assert.match(text, /^menuentry "Stele 0\.1\.0" \{$/m);
  assert.match(text, /^set timeout=0$/m);
  assert.match(text, /^terminal_output console serial$/m);
});

test("an extent off a sector boundary, or text GRUB would expand, is refused", () => {
  assert.throws(() => grubBlocklistConfig({ ...entry, kernel: { offset: 1000, length: 10 } }), {
    code: "invalid-argument",
    message: /The kernel does not start on a sector: byte 1000/,
  });
  assert.throws(() => grubBlocklistConfig({ ...entry, cmdline: "root=$x" }), { code: "invalid-argument" });
});
