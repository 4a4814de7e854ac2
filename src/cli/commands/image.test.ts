/**
 * `stelectl image …` through the real CLI. The build test runs the real imager into `_out/images`
 * (cached: seconds when nothing changed, about a minute otherwise) and signs into temp directories.
 */
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { createHash, createPublicKey, generateKeyPairSync } from "node:crypto";
import { mkdtemp, readFile, rm, stat, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { STELE_VERSION } from "../../machinery/constants.ts";
import {
  IMAGE_MANIFEST_FILE,
  IMAGE_SIGNATURE_FILE,
  type ImageManifest,
} from "../../machinery/image/index.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const FILES = [
  "rootfs.sqsh",
  "etcd.oci.tar",
  "vmlinuz",
  "initramfs.zst",
  `stele-${STELE_VERSION}-amd64.efi`,
  `stele-${STELE_VERSION}-amd64.iso`,
  `stele-${STELE_VERSION}-amd64.raw`,
  `stele-${STELE_VERSION}-amd64.raw.zst`,
];

function stelectl(
  args: readonly string[],
  timeout = 30_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      { env: { ...process.env, NODE_NO_WARNINGS: "1" }, encoding: "utf8", timeout, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : undefined;
        if (code === undefined) reject(error);
        else resolve({ code, stdout, stderr });
      },
    );
  });
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "stele-image-cli-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("stelectl image keygen", () => {
  test("writes an Ed25519 pair, the private key 0600, prints its key id, and refuses to overwrite", async () => {
    const prefix = join(dir, "release");
    const run = await stelectl(["image", "keygen", "--output", prefix]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal((await stat(`${prefix}.key`)).mode & 0o777, 0o600);
    assert.equal((await stat(`${prefix}.pub`)).mode & 0o777, 0o644);
    const publicKey = createPublicKey(await readFile(`${prefix}.pub`, "utf8"));
    assert.equal(publicKey.asymmetricKeyType, "ed25519");
    const raw = Buffer.from(publicKey.export({ format: "jwk" }).x!, "base64url");
    assert.equal(run.stdout.trim(), `key id ${createHash("sha256").update(raw).digest("hex")}`);
    const again = await stelectl(["image", "keygen", "--output", prefix]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^error: Refusing to overwrite/);
  });
});

describe("key files that are not Ed25519", () => {
  const cases = [
    ["ECDSA P-256", generateKeyPairSync("ec", { namedCurve: "P-256" }), "an ECDSA P-256 key"],
    ["RSA", generateKeyPairSync("rsa", { modulusLength: 2048 }), "an RSA 2048-bit key"],
  ] as const;
  for (const [name, pair, found] of cases) {
    test(`an ${name} key is a clear error naming the file, for verify and for build`, async () => {
      const pub = join(dir, `${name.replace(/\W/g, "")}.pub`);
      const key = join(dir, `${name.replace(/\W/g, "")}.key`);
      await writeFile(pub, pair.publicKey.export({ type: "spki", format: "pem" }));
      await writeFile(key, pair.privateKey.export({ type: "pkcs8", format: "pem" }));
      const verify = await stelectl(["image", "verify", dir, "--key", pub]);
      assert.equal(verify.code, 1);
      assert.ok(
        verify.stderr.startsWith(`error: Not an Ed25519 public key: ${pub} holds ${found}\nhint: `),
        verify.stderr,
      );
      const build = await stelectl([
        "image",
        "build",
        "--output-dir",
        join(dir, "never"),
        "--signing-key",
        key,
      ]);
      assert.equal(build.code, 1);
      assert.ok(
        build.stderr.startsWith(`error: Not an Ed25519 signing key: ${key} holds ${found}`),
        build.stderr,
      );
      assert.ok(!build.stderr.includes("Building"), "the key is checked before anything is built");
    });
  }
});

describe("stelectl image build, then verify", { timeout: 600_000 }, () => {
  let release: string;
  let dev: string;
  let devBuild: { code: number; stdout: string; stderr: string };
  let releaseBuild: { code: number; stdout: string; stderr: string };

  before(async () => {
    if (!(await stat(join(dir, "release.key")).catch(() => undefined))) {
      await stelectl(["image", "keygen", "--output", join(dir, "release")]);
    }
    release = join(dir, "out-release");
    dev = join(dir, "out-dev");
    releaseBuild = await stelectl(
      [
        "image",
        "build",
        "--output-dir",
        release,
        "--signing-key",
        join(dir, "release.key"),
        "--signing-key-name",
        "acme-release",
      ],
      600_000,
    );
    devBuild = await stelectl(["image", "build", "--output-dir", dev], 600_000);
  });

  test("prints progress, a table of the files and the key, and writes a manifest that lists them", async () => {
    assert.equal(releaseBuild.code, 0, releaseBuild.stderr);
    assert.match(releaseBuild.stderr, /Building the Stele bundle/);
    for (const file of FILES)
      assert.match(
        releaseBuild.stdout,
        new RegExp(`^${file.replaceAll(".", "\\.")} +[0-9.]+ MB +[0-9a-f]{16}$`, "m"),
      );
    assert.match(releaseBuild.stdout, /^bootable ISO: [0-9.]+ MB \(goal ≤ 60 MB\)$/m);
    assert.match(releaseBuild.stdout, /signed by acme-release \(key id [0-9a-f]{64}\)/);
    assert.doesNotMatch(releaseBuild.stderr, /warning/);
    const manifest = JSON.parse(await readFile(join(release, IMAGE_MANIFEST_FILE), "utf8")) as ImageManifest;
    assert.equal(manifest.version, STELE_VERSION);
    assert.deepEqual(
      manifest.outputs.map((o) => o.file),
      FILES,
    );
    assert.ok(manifest.inputs.debs.some((deb) => deb.name === "containerd"));
    assert.ok(
      manifest.inputs.debs.some((deb) => deb.name === "systemd-boot-efi"),
      "the UKI's stub is an input",
    );
    assert.match(manifest.inputs.kernel.name, /^linux-image-.*cloud-amd64$/);
  });

  test("the rootfs says the same version in /etc/os-release", () => {
    const osRelease = execFileSync("unsquashfs", ["-cat", join(release, "rootfs.sqsh"), "etc/os-release"], {
      encoding: "utf8",
    });
    assert.match(osRelease, new RegExp(`^VERSION_ID=${STELE_VERSION.replaceAll(".", "\\.")}$`, "m"));
  });

  test("verifies with the public key, as a file or through a TrustedKeysConfig", async () => {
    const byKey = await stelectl(["image", "verify", release, "--key", join(dir, "release.pub")]);
    assert.equal(byKey.code, 0, byKey.stdout + byKey.stderr);
    assert.match(
      byKey.stdout,
      new RegExp(
        `^OK: .*Stele ${STELE_VERSION.replaceAll(".", "\\.")}, ${FILES.length} files intact, signed by acme-release`,
      ),
    );

    const ecdsa = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({
      type: "spki",
      format: "pem",
    });
    const indent = (pem: string) => pem.trim().replaceAll("\n", "\n      ");
    const config = join(dir, "trusted.yaml");
    await writeFile(
      config,
      [
        "apiVersion: stele.dev/v1alpha1",
        "kind: TrustedKeysConfig",
        "keys:",
        "  - name: extensions-ecdsa",
        "    publicKey: |",
        `      ${indent(String(ecdsa))}`,
        "  - name: acme",
        "    publicKey: |",
        `      ${indent(await readFile(join(dir, "release.pub"), "utf8"))}`,
        "",
      ].join("\n"),
    );
    const byConfig = await stelectl(["image", "verify", release, "--trusted-keys", config]);
    assert.equal(byConfig.code, 0, byConfig.stdout + byConfig.stderr);
    assert.match(byConfig.stdout, /signed by acme \(/);
    assert.match(byConfig.stderr, /note: skipping .*"extensions-ecdsa".*ECDSA P-256/);
  });

  test("OpenSSL accepts the signature of the real manifest", async () => {
    const sig = join(dir, "sig.bin");
    await writeFile(sig, Buffer.from(await readFile(join(release, IMAGE_SIGNATURE_FILE), "utf8"), "base64"));
    const out = execFileSync(
      "openssl",
      [
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        join(dir, "release.pub"),
        "-rawin",
        "-in",
        join(release, IMAGE_MANIFEST_FILE),
        "-sigfile",
        sig,
      ],
      { encoding: "utf8" },
    );
    assert.match(out, /Signature Verified Successfully/);
  });

  test("without a key it signs with the development key and warns; verify flags it unless allowed", async () => {
    assert.equal(devBuild.code, 0, devBuild.stderr);
    assert.match(devBuild.stdout, /signed by stele-development/);
    assert.match(devBuild.stderr, /^warning: signed with the development key/m);
    assert.match(devBuild.stderr, /production images must be signed with --signing-key/);
    const strict = await stelectl(["image", "verify", dev]);
    assert.equal(strict.code, 1);
    assert.match(strict.stdout, /^ {2}Signed with the development key: /m);
    assert.match(strict.stderr, /--allow-development-key/);
    const allowed = await stelectl(["image", "verify", dev, "--allow-development-key"]);
    assert.equal(allowed.code, 0, allowed.stdout);
    assert.match(allowed.stderr, /^warning: signed with a development key/);
  });

  test("a key that did not sign it: not signed by a trusted key, naming the signer's key id", async () => {
    const other = join(dir, "other.pub");
    await writeFile(other, generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "pem" }));
    const manifest = JSON.parse(await readFile(join(release, IMAGE_MANIFEST_FILE), "utf8")) as ImageManifest;
    const run = await stelectl(["image", "verify", release, "--key", other]);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^ {2}Not signed by a trusted key: /m);
    assert.ok(run.stdout.includes(`key id ${manifest.signer.keyId}`), run.stdout);
    assert.match(run.stderr, /hint: pass the signer's public key with --key/);
  });

  test("an altered file fails verification, naming the file and both hashes", async () => {
    // The outputs may be hard links into the build directory: replace the file, never edit it in place.
    const path = join(release, "vmlinuz");
    const bytes = await readFile(path);
    bytes[bytes.length >> 1]! ^= 0xff;
    await unlink(path);
    await writeFile(path, bytes);
    const run = await stelectl(["image", "verify", release, "--key", join(dir, "release.pub")]);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^FAILED: .*: 1 problem\(s\)$/m);
    assert.match(
      run.stdout,
      /^ {2}Tampered file: vmlinuz: sha256 [0-9a-f]{64} \(\d+ bytes\), the manifest says [0-9a-f]{64} /m,
    );
    assert.match(run.stderr, /altered or damaged/);
  });
});
