import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import fc from "fast-check";
import {
  addPeSections,
  IMAGE_SCN_CNT_CODE,
  IMAGE_SCN_MEM_READ,
  readPeHeaders,
  readPeSections,
} from "./index.ts";

const dir = mkdtempSync(join(tmpdir(), "pe-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A minimal PE32+ EFI application as a linker lays it out: DOS header, PE signature, COFF header,
 * optional header with 16 data directories, one `.text` section at 0x1000 whose data starts at
 * SizeOfHeaders (0x200, leaving room for a few more section headers).
 */
function minimalPe(options: { sizeOfHeaders?: number; magic?: number; signed?: boolean } = {}): Buffer {
  const sizeOfHeaders = options.sizeOfHeaders ?? 0x200;
  const image = Buffer.alloc(sizeOfHeaders + 0x200);
  image.write("MZ", 0, "latin1");
  image.writeUInt32LE(0x40, 0x3c);
  image.write("PE\0\0", 0x40, "latin1");
  const coff = 0x44;
  image.writeUInt16LE(0x8664, coff);
  image.writeUInt16LE(1, coff + 2);
  image.writeUInt16LE(240, coff + 16);
  image.writeUInt16LE(0x22e, coff + 18);
  const opt = coff + 20;
  image.writeUInt16LE(options.magic ?? 0x20b, opt);
  image.writeUInt32LE(0x200, opt + 4); // SizeOfCode
  image.writeUInt32LE(0x1000, opt + 16); // AddressOfEntryPoint
  image.writeUInt32LE(0x1000, opt + 32);
  image.writeUInt32LE(0x200, opt + 36);
  image.writeUInt32LE(0x2000, opt + 56);
  image.writeUInt32LE(sizeOfHeaders, opt + 60);
  image.writeUInt16LE(10, opt + 68); // EFI application
  image.writeUInt32LE(16, opt + 108);
  if (options.signed) {
    image.writeUInt32LE(sizeOfHeaders + 0x200, opt + 112 + 4 * 8);
    image.writeUInt32LE(8, opt + 112 + 4 * 8 + 4);
  }
  const section = opt + 240;
  image.write(".text", section, "latin1");
  image.writeUInt32LE(0x10, section + 8);
  image.writeUInt32LE(0x1000, section + 12);
  image.writeUInt32LE(0x200, section + 16);
  image.writeUInt32LE(sizeOfHeaders, section + 20);
  image.writeUInt32LE(0x60000020, section + 36);
  image.fill(0xc3, sizeOfHeaders, sizeOfHeaders + 0x10);
  return image;
}

/** `objdump -h`'s sections: name → [size, vma, file offset]. */
function objdumpSections(image: Uint8Array): Map<string, [number, number, number]> {
  const file = join(dir, `image-${Math.random().toString(16).slice(2)}.efi`);
  writeFileSync(file, image);
  const text = execFileSync("objdump", ["-h", file], { encoding: "utf8" });
  const sections = new Map<string, [number, number, number]>();
  for (const match of text.matchAll(
    /^\s+\d+ (\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)/gm,
  )) {
    sections.set(match[1]!, [
      Number.parseInt(match[2]!, 16),
      Number.parseInt(match[3]!, 16),
      Number.parseInt(match[4]!, 16),
    ]);
  }
  return sections;
}

test("objdump sees the appended sections with their sizes, after the stub's, aligned", () => {
  const osrel = Buffer.from('NAME="Stele"\n');
  const linux = Buffer.alloc(5000, 7);
  const out = addPeSections(minimalPe(), [
    { name: ".osrel", data: osrel },
    {
      name: ".linux",
      data: linux,
      virtualSize: 0x3000,
      characteristics: IMAGE_SCN_CNT_CODE | IMAGE_SCN_MEM_READ,
    },
  ]);
  const sections = objdumpSections(out);
  assert.deepEqual([...sections.keys()], [".text", ".osrel", ".linux"]);
  const base = 0; // objdump adds ImageBase, which is 0 here
  assert.deepEqual(sections.get(".osrel"), [osrel.length, base + 0x2000, 0x400]);
  // objdump prints the raw size for a section whose virtual size is larger.
  assert.deepEqual(sections.get(".linux")?.slice(1), [base + 0x3000, 0x600]);
  const headers = readPeHeaders(out);
  assert.equal(headers.sizeOfImage, 0x6000, "SizeOfImage covers .linux's virtual size, section-aligned");
  assert.equal(headers.sizeOfInitializedData, osrel.length + 0x3000);
  assert.equal(out.length % 0x200, 0);
});

test("the real systemd-stub takes the five UKI sections, and objdump reads them", {
  skip: stubPath() === undefined && "systemd-boot-efi is not in the apt cache yet",
}, () => {
  const stubDir = join(dir, "stub");
  execFileSync("dpkg-deb", ["-x", stubPath()!, stubDir]);
  const stub = readBytes(join(stubDir, "usr/lib/systemd/boot/efi/linuxx64.efi.stub"));
  const parts = [".osrel", ".cmdline", ".uname", ".initrd", ".linux"].map((name, i) => ({
    name,
    data: Buffer.alloc(1000 * (i + 1) + i, i + 1),
  }));
  const out = addPeSections(stub, parts);
  const sections = objdumpSections(out);
  const before = readPeHeaders(stub).sections;
  for (const part of parts) {
    const [size, vma, offset] = sections.get(part.name)!;
    assert.equal(size, part.data.length, part.name);
    assert.equal((vma - Number(0x14df90000)) % 0x1000, 0, `${part.name} is section-aligned`);
    assert.equal(offset % 0x200, 0, `${part.name} is file-aligned`);
    assert.ok(vma - 0x14df90000 >= before.at(-1)!.virtualAddress + before.at(-1)!.virtualSize);
  }
  assert.equal(readPeHeaders(out).sections.length, before.length + 5);
});

test("round trip: whatever sections are added read back byte for byte, without overlap", () => {
  const name = fc.stringMatching(/^\.[a-z]{1,7}$/);
  fc.assert(
    fc.property(
      fc
        .uniqueArray(fc.record({ name, data: fc.uint8Array({ maxLength: 3000 }) }), {
          maxLength: 3, // the minimal image has room for three more headers
          selector: (s) => s.name,
        })
        .filter((list) => list.every((s) => s.name !== ".text")),
      (parts) => {
        const out = addPeSections(minimalPe(), parts);
        const read = readPeSections(out);
        assert.equal(read.length, 1 + parts.length);
        assert.deepEqual(read[0]!.data, minimalPe().subarray(0x200, 0x210));
        for (const [i, part] of parts.entries()) {
          const section = read[i + 1]!;
          assert.equal(section.name, part.name);
          assert.deepEqual(Buffer.from(section.data), Buffer.from(part.data));
          const previous = read[i]!;
          assert.ok(section.virtualAddress >= previous.virtualAddress + previous.virtualSize);
          assert.ok(section.pointerToRawData >= previous.pointerToRawData + previous.sizeOfRawData);
          assert.equal(section.virtualAddress % 0x1000, 0);
          assert.equal(section.pointerToRawData % 0x200, 0);
        }
        const last = read.at(-1)!;
        assert.equal(
          readPeHeaders(out).sizeOfImage,
          Math.ceil((last.virtualAddress + last.virtualSize) / 0x1000) * 0x1000,
        );
      },
    ),
    { numRuns: 200 },
  );
});

const refusals: Array<[string, () => Uint8Array, RegExp]> = [
  [
    "an ELF file",
    () => Buffer.from("\x7fELF\x02\x01\x01".padEnd(256, "\0"), "latin1"),
    /^Not a PE32\+ image: no MZ header$/,
  ],
  [
    "a truncated image",
    () => minimalPe().subarray(0, 0x60),
    /^Not a PE32\+ image: optional header of 240 bytes does not fit$/,
  ],
  [
    "a PE32 (32-bit) image",
    () => minimalPe({ magic: 0x10b }),
    /^Not a PE32\+ image: optional header magic 0x10b, expected 0x20b/,
  ],
  [
    "a section past the end",
    () => minimalPe().subarray(0, 0x300),
    /^Not a PE32\+ image: section \.text ends at 1024, past the end/,
  ],
  ["a signed image", () => minimalPe({ signed: true }), /^Cannot add sections to a signed PE image/],
  // Headers end at 0x40+4+20+240+40 = 0x174; 0x180 leaves no room for another 40-byte header.
  [
    "a header with no room",
    () => minimalPe({ sizeOfHeaders: 0x180 }),
    /^No room in the PE header for 1 more sections: 0 fit/,
  ],
];
for (const [what, image, message] of refusals) {
  test(`refuses ${what} with a clear error`, () => {
    assert.throws(
      () => addPeSections(image(), [{ name: ".osrel", data: Buffer.from("x") }]),
      (error: Error & { hint?: string }) => {
        assert.equal(error.name, "SteleError");
        assert.match(error.message, message);
        assert.ok(error.hint);
        return true;
      },
    );
  });
}

test("refuses a bad or duplicate section name", () => {
  assert.throws(
    () => addPeSections(minimalPe(), [{ name: ".toolongname", data: Buffer.alloc(1) }]),
    /Invalid PE section name/,
  );
  assert.throws(
    () => addPeSections(minimalPe(), [{ name: ".text", data: Buffer.alloc(1) }]),
    /already has a section of that name/,
  );
});

function stubPath(): string | undefined {
  const debs = join(homedir(), ".cache/stele/apt/debs");
  if (!existsSync(debs)) return undefined;
  const file = readdirSync(debs).find((f) => f.startsWith("systemd-boot-efi_"));
  return file === undefined ? undefined : join(debs, file);
}

function readBytes(path: string): Buffer {
  return execFileSync("cat", [path], { maxBuffer: 64 << 20 });
}
