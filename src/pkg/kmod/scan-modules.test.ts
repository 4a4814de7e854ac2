import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { gzipSync, zstdCompressSync } from "node:zlib";
import fc from "fast-check";
import { KmodError } from "./kmod-error.ts";
import { moduleLoadOrder } from "./module-load-order.ts";
import { parseModinfo } from "./parse-modinfo.ts";
import { readModuleIndex } from "./read-module-index.ts";
import { scanModules } from "./scan-modules.ts";

const dir = mkdtempSync(join(tmpdir(), "kmod-scan-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A minimal ELF64 relocatable object with a .modinfo section, laid out as the kernel's build does. */
function moduleElf(modinfo: readonly string[]): Buffer {
  const shstrtab = Buffer.from("\0.shstrtab\0.modinfo\0.text\0", "latin1");
  const info = Buffer.from(modinfo.map((entry) => `${entry}\0`).join(""), "utf8");
  const text = Buffer.from([0xc3]);
  const sections = [
    { name: 0, data: Buffer.alloc(0) },
    { name: 1, data: shstrtab },
    { name: 21, data: text },
    { name: 11, data: info },
  ];
  let offset = 64;
  const placed = sections.map((section) => {
    const at = offset;
    offset += section.data.length;
    return { ...section, at };
  });
  const shoff = offset;
  const file = Buffer.alloc(shoff + sections.length * 64);
  file.write("\x7fELF", 0, "latin1");
  file[4] = 2;
  file[5] = 1;
  file[6] = 1;
  file.writeUInt16LE(1, 0x10);
  file.writeUInt16LE(62, 0x12);
  file.writeBigUInt64LE(BigInt(shoff), 0x28);
  file.writeUInt16LE(64, 0x34);
  file.writeUInt16LE(64, 0x3a);
  file.writeUInt16LE(sections.length, 0x3c);
  file.writeUInt16LE(1, 0x3e);
  for (const [i, section] of placed.entries()) {
    section.data.copy(file, section.at);
    const header = shoff + i * 64;
    file.writeUInt32LE(section.name, header);
    file.writeUInt32LE(i === 0 ? 0 : 1, header + 4);
    file.writeBigUInt64LE(BigInt(section.at), header + 0x18);
    file.writeBigUInt64LE(BigInt(section.data.length), header + 0x20);
  }
  return file;
}

function writeTree(root: string, files: Record<string, Buffer>): void {
  for (const [path, bytes] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), bytes);
  }
}

test(".modinfo entries are read in order, repeated keys kept", () => {
  assert.deepEqual(
    parseModinfo(moduleElf(["alias=fs-squashfs", "alias=squashfs", "depends=", "name=squashfs"])),
    [
      ["alias", "fs-squashfs"],
      ["alias", "squashfs"],
      ["depends", ""],
      ["name", "squashfs"],
    ],
  );
});

test("modinfo of any bytes is the entries or a KmodError, nothing else", () => {
  const valid = moduleElf(["name=x", "depends=y"]);
  const mutated = fc
    .array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 })
    .map((edits) => {
      const copy = Buffer.from(valid);
      for (const [at, value] of edits) copy[at] = value;
      return copy;
    });
  const truncated = fc.nat(valid.length).map((length) => valid.subarray(0, length));
  fc.assert(
    fc.property(fc.oneof(mutated, truncated, fc.uint8Array({ maxLength: 300 })), (bytes) => {
      try {
        parseModinfo(bytes);
      } catch (error) {
        assert.ok(error instanceof KmodError, String(error));
      }
    }),
    { numRuns: 3000 },
  );
});

test("a module tree without modules.dep is indexed from its files, compressed or not", async () => {
  const release = join(dir, "lib/modules/6.12.0-test");
  writeTree(release, {
    "kernel/drivers/virtio/virtio_ring.ko": moduleElf(["name=virtio_ring", "depends="]),
    "kernel/drivers/virtio/virtio.ko.gz": gzipSync(moduleElf(["name=virtio", "depends=virtio_ring"])),
    "kernel/drivers/block/virtio_blk.ko.zst": zstdCompressSync(
      moduleElf(["alias=virtio:d00000002v*", "depends=virtio", "name=virtio_blk"]),
    ),
    "kernel/drivers/net/virtio_net.ko.xz": execFileSync("xz", ["-zc", "--check=crc32"], {
      input: moduleElf(["alias=virtio:d00000001v*", "depends=virtio,net_failover", "name=virtio_net"]),
    }),
    "kernel/drivers/net/net_failover.ko.xz": execFileSync("xz", ["-zc"], {
      input: moduleElf(["depends=failover", "name=net_failover"]),
    }),
    "kernel/net/core/failover.ko.xz": execFileSync("xz", ["-zc"], {
      input: moduleElf(["depends=", "name=failover"]),
    }),
    "modules.builtin": Buffer.from("kernel/drivers/block/loop.ko\n"),
    "modules.order": Buffer.from("kernel/drivers/virtio/virtio_ring.ko\n"),
  });
  const scanned = await scanModules(release);
  assert.deepEqual(scanned.modules.get("virtio_net"), {
    name: "virtio_net",
    path: "kernel/drivers/net/virtio_net.ko.xz",
    compression: "xz",
    dependencies: ["net_failover", "failover", "virtio", "virtio_ring"],
  });
  assert.deepEqual(scanned.modules.get("virtio_blk")?.dependencies, ["virtio", "virtio_ring"]);
  assert.deepEqual(scanned.aliases, [
    { pattern: "virtio:d00000002v*", module: "virtio_blk" },
    { pattern: "virtio:d00000001v*", module: "virtio_net" },
  ]);

  const index = await readModuleIndex(release);
  assert.deepEqual([...index.builtin], ["loop"]);
  assert.deepEqual(
    moduleLoadOrder(index, ["virtio:d00000001v00001AF4", "loop"]).load.map((entry) => entry.name),
    ["virtio_ring", "virtio", "failover", "net_failover", "virtio_net"],
  );

  // Where depmod did run, its modules.dep is what counts.
  writeFileSync(join(release, "modules.dep"), "kernel/drivers/virtio/virtio_ring.ko:\n");
  assert.deepEqual([...(await readModuleIndex(release)).modules.keys()], ["virtio_ring"]);
});

test("a module tree that is not there, or a damaged module, is a KmodError", async () => {
  await assert.rejects(scanModules(join(dir, "nowhere")), (error: unknown) => {
    return (
      error instanceof KmodError &&
      error.code === "not-found" &&
      error.message.startsWith("Kernel module directory not found: ")
    );
  });
  const release = join(dir, "damaged");
  writeTree(release, { "kernel/a.ko.xz": Buffer.from("not xz"), "kernel/b.ko": moduleElf(["name=b"]) });
  await assert.rejects(scanModules(release), (error: unknown) => {
    return error instanceof KmodError && error.message.startsWith("Decompressing kernel modules: ");
  });
  writeTree(join(dir, "truncated"), { "kernel/b.ko": moduleElf(["name=b"]).subarray(0, 100) });
  await assert.rejects(scanModules(join(dir, "truncated")), /Invalid kernel module kernel\/b.ko: /);
});
