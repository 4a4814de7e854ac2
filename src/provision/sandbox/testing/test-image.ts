import { execFileSync } from "node:child_process";
import { copyFileSync, linkSync, mkdirSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

/**
 * Builds a tiny node image for the sandbox test: the contract's mount points, `/usr/bin/node` (this
 * Node.js) with the host libraries `ldd` names at the same paths, koffi's runtime files, and
 * `program` bundled as `/usr/lib/stele/stele.mjs`. Uncompressed squashfs: fast to make, and the
 * test is about mounts, not sizes. Returns the image file.
 */
export async function buildTestImage(dir: string, program: string): Promise<string> {
  const tree = join(dir, "image");
  for (const path of ["proc", "sys", "dev", "run", "system", "var", "tmp", "usr/bin", "usr/lib/stele"]) {
    mkdirSync(join(tree, path), { recursive: true });
  }
  place(process.execPath, join(tree, "usr/bin/node"));
  const require = createRequire(import.meta.url);
  const koffiDir = dirname(require.resolve("koffi/package.json"));
  const koffiNative = join(koffiDir, "build/koffi/linux_x64/koffi.node");
  for (const library of new Set([...sharedLibraries(process.execPath), ...sharedLibraries(koffiNative)])) {
    place(library, join(tree, library));
  }
  const koffiTarget = join(tree, "usr/lib/stele/node_modules/koffi");
  for (const file of ["package.json", "index.js", "build/koffi/linux_x64/koffi.node"]) {
    place(join(koffiDir, file), join(koffiTarget, file));
  }
  await build({
    entryPoints: [program],
    outfile: join(tree, "usr/lib/stele/stele.mjs"),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node24",
    external: ["koffi"],
    logLevel: "warning",
  });
  const image = join(dir, "rootfs.sqsh");
  execFileSync(
    "mksquashfs",
    [tree, image, "-noappend", "-noI", "-noD", "-noF", "-noX", "-quiet", "-no-progress"],
    {
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  return image;
}

/** The absolute paths of the shared libraries and loader `ldd` lists for a binary. */
function sharedLibraries(binary: string): string[] {
  const output = execFileSync("ldd", [binary], { encoding: "utf8" });
  return [...output.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map((match) => match[1]!);
}

/**
 * Puts the file `from` (symlinks resolved: the image holds the library itself at the path the loader
 * asks for) at `to`: hard-linked when on the same filesystem (no copy of Node's 100 MB), else copied.
 */
function place(from: string, to: string): void {
  const source = realpathSync(from);
  mkdirSync(dirname(to), { recursive: true });
  try {
    linkSync(source, to);
  } catch {
    copyFileSync(source, to);
  }
}

/** The fake stele.mjs this test image runs (see fake-node-program.ts). */
export const FAKE_NODE_PROGRAM = fileURLToPath(new URL("./fake-node-program.ts", import.meta.url));
