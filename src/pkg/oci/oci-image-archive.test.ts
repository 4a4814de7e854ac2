import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import fc from "fast-check";
import { buildLayerTar, type LayerEntry } from "./layer-tar.ts";
import { OciError } from "./oci-error.ts";
import { buildOciImageArchive, imageTag, OCI_MEDIA_TYPES } from "./oci-image-archive.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "oci-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ENTRIES: LayerEntry[] = [
  { type: "file", path: "usr/local/bin/etcd", content: Buffer.from("\x7fELF pretend"), mode: 0o755 },
  { type: "symlink", path: "lib64", target: "usr/lib64" },
  { type: "directory", path: "var/lib/etcd", mode: 0o700 },
  { type: "directory", path: "tmp", mode: 0o1777 },
  { type: "file", path: "etc/os-release", content: Buffer.from("ID=test\n"), mode: 0o644 },
];
const REFERENCE = "registry.k8s.io/etcd:3.5.16-0";

const sha256 = (bytes: Uint8Array) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string };
}
interface Layout {
  index: { schemaVersion: number; manifests: Descriptor[] };
  manifest: { config: Descriptor; layers: Descriptor[] };
  config: { architecture: string; os: string; config: unknown; rootfs: { type: string; diff_ids: string[] } };
  layer: Buffer;
}

/** Unpacks an archive with GNU tar and checks every descriptor against the blob it names. */
function checkLayout(archive: Buffer): Layout {
  const root = join(dir, "layout");
  mkdirSync(root);
  writeFileSync(join(dir, "image.tar"), archive);
  execFileSync("tar", ["-xf", join(dir, "image.tar"), "-C", root]);
  const blob = (descriptor: Descriptor) => {
    assert.match(descriptor.digest, /^sha256:[0-9a-f]{64}$/);
    const bytes = readFileSync(join(root, "blobs/sha256", descriptor.digest.slice(7)));
    assert.equal(sha256(bytes), descriptor.digest, `digest of ${descriptor.mediaType}`);
    assert.equal(bytes.length, descriptor.size, `size of ${descriptor.mediaType}`);
    return bytes;
  };
  assert.deepEqual(JSON.parse(readFileSync(join(root, "oci-layout"), "utf8")), {
    imageLayoutVersion: "1.0.0",
  });
  const index = JSON.parse(readFileSync(join(root, "index.json"), "utf8")) as Layout["index"];
  assert.equal(index.schemaVersion, 2);
  assert.equal(index.manifests.length, 1);
  assert.equal(index.manifests[0]!.mediaType, OCI_MEDIA_TYPES.manifest);
  const manifest = JSON.parse(blob(index.manifests[0]!).toString("utf8")) as Layout["manifest"];
  assert.equal(manifest.config.mediaType, OCI_MEDIA_TYPES.config);
  const config = JSON.parse(blob(manifest.config).toString("utf8")) as Layout["config"];
  assert.equal(manifest.layers.length, 1);
  assert.equal(manifest.layers[0]!.mediaType, OCI_MEDIA_TYPES.layer);
  const layer = blob(manifest.layers[0]!);
  assert.deepEqual(config.rootfs, { type: "layers", diff_ids: [sha256(layer)] });
  return { index, manifest, config, layer };
}

test("every descriptor's digest and size match its blob, and the layer's digest is its diff_id", () => {
  const image = buildOciImageArchive({
    reference: REFERENCE,
    layers: [buildLayerTar(ENTRIES)],
    config: { Cmd: ["/usr/local/bin/etcd"], Env: ["PATH=/usr/local/bin"] },
  });
  const { index, manifest, config } = checkLayout(image.archive);
  assert.equal(index.manifests[0]!.digest, image.manifestDigest);
  assert.equal(manifest.config.digest, image.configDigest);
  assert.deepEqual(image.layerDigests, [manifest.layers[0]!.digest]);
  assert.deepEqual(index.manifests[0]!.platform, { architecture: "amd64", os: "linux" });
  assert.deepEqual(index.manifests[0]!.annotations, {
    "io.containerd.image.name": REFERENCE,
    "org.opencontainers.image.ref.name": "3.5.16-0",
  });
  assert.equal(config.architecture, "amd64");
  assert.equal(config.os, "linux");
  assert.deepEqual(config.config, { Cmd: ["/usr/local/bin/etcd"], Env: ["PATH=/usr/local/bin"] });
});

test("the layer unpacks to the entries with their modes, implied parents at 0755", () => {
  const { layer } = checkLayout(
    buildOciImageArchive({ reference: REFERENCE, layers: [buildLayerTar(ENTRIES)] }).archive,
  );
  const out = join(dir, "rootfs");
  mkdirSync(out);
  writeFileSync(join(dir, "layer.tar"), layer);
  execFileSync("tar", ["-xpf", join(dir, "layer.tar"), "-C", out]);
  const mode = (path: string) => statSync(join(out, path)).mode & 0o7777;
  assert.equal(readFileSync(join(out, "usr/local/bin/etcd"), "latin1"), "\x7fELF pretend");
  assert.equal(mode("usr/local/bin/etcd"), 0o755);
  assert.equal(mode("etc/os-release"), 0o644);
  assert.equal(mode("var/lib/etcd"), 0o700);
  assert.equal(mode("tmp"), 0o1777);
  assert.equal(mode("usr/local"), 0o755);
  assert.equal(readlinkSync(join(out, "lib64")), "usr/lib64");
  const listing = execFileSync("tar", ["-tvf", join(dir, "layer.tar")], { encoding: "utf8" })
    .trim()
    .split("\n");
  assert.ok(listing.every((line) => line.includes(" root/root ") && line.includes(" 1970-01-01 00:00 ")));
  const paths = listing.map((line) => line.split(/\s+/)[5]!);
  assert.deepEqual(paths.slice(0, 3), ["etc/", "etc/os-release", "lib64"]);
});

test("the same entries in any order give the same bytes", () => {
  const reference = buildOciImageArchive({ reference: REFERENCE, layers: [buildLayerTar(ENTRIES)] }).archive;
  fc.assert(
    fc.property(fc.shuffledSubarray(ENTRIES, { minLength: ENTRIES.length }), (shuffled) => {
      const archive = buildOciImageArchive({
        reference: REFERENCE,
        layers: [buildLayerTar(shuffled)],
      }).archive;
      assert.ok(archive.equals(reference));
    }),
    { numRuns: 30 },
  );
});

test("layers that cannot be written are refused with a clear error", () => {
  const file: LayerEntry = { type: "file", path: "a", content: Buffer.from(""), mode: 0o644 };
  assert.throws(() => buildLayerTar([file, { ...file }]), /^OciError: Duplicate path in image layer: a$/);
  assert.throws(() => buildLayerTar([file, { ...file, path: "a/b" }]), /a is a file, not a directory/);
  assert.throws(() => buildLayerTar([{ ...file, path: "../etc/passwd" }]), OciError);
});

test("image tags come from the reference", () => {
  assert.equal(imageTag("registry.k8s.io/etcd:3.5.16-0"), "3.5.16-0");
  assert.equal(imageTag("localhost:5000/etcd"), "latest");
  assert.equal(imageTag("etcd"), "latest");
  assert.throws(() => imageTag(`etcd@sha256:${"0".repeat(64)}`), OciError);
});
