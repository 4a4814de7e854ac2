import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fetchDebs } from "../debian/fetch-debs.ts";
import { type AptSource, DEBIAN_TRIXIE } from "../debian/private-apt.ts";
import { runTool } from "../debian/run-tool.ts";
import { formatModulesDep } from "./format-modules-dep.ts";
import { KmodError } from "./kmod-error.ts";
import { moduleLoadOrder } from "./module-load-order.ts";
import { parseModulesDep } from "./parse-modules-dep.ts";
import { type ModuleIndex, readModuleIndex } from "./read-module-index.ts";

// Real kernels, found through the linux-image-cloud-amd64 metapackage's Depends and fetched
// (verified against the signed index) into the imager's default apt cache, where they stay for the
// next run: Debian 13's, which the image ships, and Debian 12's, whose virtio core is modular (in
// 13 it is built in), so the order of the field notes (virtio core before the drivers) is checked
// on a kernel that needs it. Neither package ships modules.dep (its postinst runs depmod), so the
// index is read from the module files themselves.
const APT_CACHE = process.env["STELE_APT_CACHE_DIR"] ?? join(homedir(), ".cache", "stele", "apt");
const DEBIAN_BOOKWORM: AptSource = { ...DEBIAN_TRIXIE, suite: "bookworm" };

const dir = mkdtempSync(join(tmpdir(), "kmod-debian-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const position = (order: readonly string[], name: string) => {
  const at = order.indexOf(name);
  assert.notEqual(at, -1, `${name} is in the load order: ${order.join(", ")}`);
  return at;
};

for (const kernel of [
  {
    suite: "trixie",
    source: DEBIAN_TRIXIE,
    cacheDir: APT_CACHE,
    release: /^6\.12\./,
    virtioCore: "builtin",
    compression: "xz",
  },
  {
    suite: "bookworm",
    source: DEBIAN_BOOKWORM,
    cacheDir: `${APT_CACHE}-bookworm`,
    release: /^6\.1\./,
    virtioCore: "module",
    compression: "none",
  },
] as const) {
  describe(`Debian ${kernel.suite} cloud kernel`, () => {
    let index: ModuleIndex;
    let release: string;

    before(async () => {
      const target = join(dir, kernel.suite);
      await withAptCacheLock(kernel.cacheDir, async () => {
        const options = { cacheDir: kernel.cacheDir, source: kernel.source };
        const [meta] = await fetchDebs(["linux-image-cloud-amd64"], options);
        const depends = (await runTool("dpkg-deb", ["--field", meta!.path, "Depends"])).trim();
        const name = /^(linux-image-[^\s,(]*-cloud-amd64)\b/.exec(depends)?.[1];
        assert.ok(name, `linux-image-cloud-amd64 depends on a cloud kernel: ${depends}`);
        const [image] = await fetchDebs([name], options);
        await extractModules(image!.path, target);
      });
      // Debian 13 packages install under /usr (merged /usr); Debian 12 ones under /lib.
      const modulesDir = [join(target, "usr", "lib", "modules"), join(target, "lib", "modules")].find(
        (path) => existsSync(path),
      );
      assert.ok(modulesDir, `the package has a lib/modules directory: ${target}`);
      [release] = readdirSync(modulesDir) as [string];
      assert.match(release, kernel.release);
      const started = performance.now();
      index = await readModuleIndex(join(modulesDir, release));
      console.log(
        `${release}: ${index.modules.size} modules, ${index.builtin.size} built in, ${index.aliases.length} aliases, indexed in ${Math.round(performance.now() - started)} ms`,
      );
    });

    test("every module of the plan comes after every module it needs, each once", () => {
      const plan = moduleLoadOrder(index, [
        "virtio_blk",
        "virtio_net",
        "virtio_pci",
        "squashfs",
        "loop",
        "overlay",
      ]);
      const order = plan.load.map((entry) => entry.name);
      assert.equal(new Set(order).size, order.length);
      for (const [at, entry] of plan.load.entries()) {
        for (const dependency of entry.dependencies) {
          if (!index.builtin.has(dependency))
            assert.ok(position(order, dependency) < at, `${dependency} before ${entry.name}`);
        }
      }
      // virtio_net needs net_failover, which needs failover: a real two-level chain.
      assert.ok(position(order, "failover") < position(order, "net_failover"));
      assert.ok(position(order, "net_failover") < position(order, "virtio_net"));
      assert.ok(
        plan.load.every(
          (entry) => entry.path.startsWith("kernel/") && entry.compression === kernel.compression,
        ),
      );
      console.log(`${release}: load ${order.join(" ")}; built in: ${plan.builtin.join(" ")}`);
    });

    if (kernel.virtioCore === "module") {
      test("virtio_ring and virtio before virtio_blk and virtio_net; virtio itself does not need virtio_ring", () => {
        for (const wanted of [
          ["virtio_net", "virtio_blk"],
          ["virtio_blk", "virtio_net"],
        ]) {
          const order = moduleLoadOrder(index, wanted).load.map((entry) => entry.name);
          for (const core of ["virtio_ring", "virtio"]) {
            for (const driver of ["virtio_blk", "virtio_net"]) {
              assert.ok(
                position(order, core) < position(order, driver),
                `${core} before ${driver}: ${order}`,
              );
            }
          }
        }
        // The field notes' "virtio_ring before virtio" is not a kernel requirement: neither needs
        // the other; the ENOENT (unknown symbol) comes from loading a driver before both.
        assert.deepEqual(index.modules.get("virtio")?.dependencies, []);
        assert.deepEqual(index.modules.get("virtio_ring")?.dependencies, []);
        assert.deepEqual([...(index.modules.get("virtio_blk")?.dependencies ?? [])].sort(), [
          "virtio",
          "virtio_ring",
        ]);
      });
    } else {
      test("virtio, virtio_ring and virtio_pci are built in: nothing to load before the drivers", () => {
        const plan = moduleLoadOrder(index, ["virtio_ring", "virtio", "virtio_pci", "virtio_blk"]);
        assert.deepEqual(plan.builtin, ["virtio_ring", "virtio", "virtio_pci"]);
        assert.deepEqual(
          plan.load.map((entry) => entry.name),
          ["virtio_blk"],
        );
      });
    }

    test("squashfs, loop and overlay resolve, as modules or built in", () => {
      const plan = moduleLoadOrder(index, ["squashfs", "loop", "overlay"]);
      const names = [...plan.load.map((entry) => entry.name), ...plan.builtin];
      assert.deepEqual(names.sort(), ["loop", "overlay", "squashfs"]);
    });

    test("aliases resolve as the kernel asks for them: a virtio block device, a file system", () => {
      assert.equal(moduleLoadOrder(index, ["virtio:d00000002v00001AF4"]).load.at(-1)?.name, "virtio_blk");
      assert.equal(moduleLoadOrder(index, ["fs-squashfs"]).load.at(-1)?.name, "squashfs");
    });

    test("the index written as modules.dep reads back the same", () => {
      assert.deepEqual(parseModulesDep(formatModulesDep(index.modules)), index.modules);
    });

    test("a module the kernel does not have is named", () => {
      assert.throws(
        () => moduleLoadOrder(index, ["virtio_blk", "stele_no_such_module"]),
        (error: unknown) =>
          error instanceof KmodError &&
          error.code === "not-found" &&
          error.message === "Kernel module not found: stele_no_such_module",
      );
    });
  });
}

/** `dpkg-deb --fsys-tarfile DEB | tar -x` of the module tree only (no shell: a pipe between two children). */
async function extractModules(deb: string, target: string): Promise<void> {
  await runTool("mkdir", ["-p", target]);
  const dpkg = spawn("dpkg-deb", ["--fsys-tarfile", deb], { stdio: ["ignore", "pipe", "inherit"] });
  const tar = spawn("tar", ["-x", "-C", target, "--wildcards", "*lib/modules/*"], {
    stdio: ["pipe", "inherit", "inherit"],
  });
  dpkg.stdout.pipe(tar.stdin);
  const exit = (child: ReturnType<typeof spawn>) =>
    new Promise<number | null>((resolve, reject) => child.once("error", reject).once("close", resolve));
  const [dpkgStatus, tarStatus] = await Promise.all([exit(dpkg), exit(tar)]);
  assert.equal(dpkgStatus, 0, "dpkg-deb --fsys-tarfile");
  assert.equal(tarStatus, 0, "tar -x");
}

/**
 * The imager's lock on an apt cache (src/imager/host-lock.ts, which src/pkg may not import): the
 * same abstract unix socket name, so this test and an image build never run apt in one cache at once.
 */
async function withAptCacheLock<T>(cacheDir: string, fn: () => Promise<T>): Promise<T> {
  const name = `\0stele-imager-${createHash("sha256").update(`apt:${cacheDir}`).digest("hex").slice(0, 40)}`;
  for (const deadline = Date.now() + 10 * 60 * 1000; ; ) {
    const server = createServer((socket) => socket.destroy());
    const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      server.once("error", resolve);
      server.listen({ path: name }, () => {
        server.off("error", resolve);
        resolve(undefined);
      });
    });
    if (error === undefined) {
      try {
        return await fn();
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    }
    if (error.code !== "EADDRINUSE" || Date.now() > deadline) throw error;
    await sleep(100);
  }
}
