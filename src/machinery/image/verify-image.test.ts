import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import fc from "fast-check";
import { isSteleError } from "../errors.ts";
import { DEVELOPMENT_SIGNING_KEY_ID, developmentSigningKey } from "./development-signing-key.ts";
import { IMAGE_MANIFEST_FILE, IMAGE_SIGNATURE_FILE, type ImageInputs } from "./image-manifest.ts";
import { generateImageSigningKey, type ImageSigningKey, parseImageSigningKey } from "./image-signing-key.ts";
import { signImage } from "./sign-image.ts";
import { verifyImage } from "./verify-image.ts";

const HASH = "a".repeat(64);
const INPUTS: ImageInputs = {
  debs: [{ name: "containerd", version: "1.7.24~ds1-6", sha256: HASH }],
  node: { version: "24.11.1", sha256: HASH },
  bundle: { sha256: HASH },
  nodeModules: { sha256: HASH },
  api: { sha256: HASH },
  kernel: { name: "linux-image-6.12.57+deb13-cloud-amd64", version: "6.12.57-1", sha256: HASH },
};
const OUTPUTS = ["rootfs.sqsh", "vmlinuz", "initramfs.zst"];

let dir: string;
let release: { pem: string; publicPem: string; key: ImageSigningKey };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "stele-image-"));
  for (const [i, file] of OUTPUTS.entries())
    await writeFile(join(dir, file), `contents of ${file} `.repeat(100 + i));
  const pair = generateImageSigningKey();
  release = {
    pem: pair.privateKeyPem,
    publicPem: pair.publicKeyPem,
    key: parseImageSigningKey(pair.privateKeyPem, "release.key"),
  };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sign = (key: ImageSigningKey = release.key, keyName = "acme-release") =>
  signImage(dir, { version: "0.1.0", inputs: INPUTS, outputs: OUTPUTS, key, keyName });

async function flipByte(file: string, at = 17): Promise<void> {
  const bytes = await readFile(join(dir, file));
  bytes[at % bytes.length]! ^= 0x01;
  await writeFile(join(dir, file), bytes);
}

describe("a signed image", () => {
  test("verifies with its public key, as a PEM or a TrustedKeysConfig entry", async () => {
    const signed = await sign();
    assert.deepEqual(
      signed.manifest.outputs.map((o) => o.file),
      OUTPUTS,
    );
    const byPem = await verifyImage(dir, { trustedKeys: [release.publicPem] });
    assert.deepEqual(byPem.problems, []);
    assert.equal(byPem.ok, true);
    assert.equal(byPem.developmentKey, false);
    assert.equal(byPem.signer?.keyId, release.key.keyId);
    assert.equal(byPem.manifest?.version, "0.1.0");
    const byEntry = await verifyImage(dir, { trustedKeys: [{ name: "acme", publicKey: release.publicPem }] });
    assert.equal(byEntry.ok, true);
    assert.equal(byEntry.signer?.name, "acme");
  });

  test("signing is reproducible: same inputs and key, same manifest and signature bytes", async () => {
    await sign();
    const first = [
      await readFile(join(dir, IMAGE_MANIFEST_FILE)),
      await readFile(join(dir, IMAGE_SIGNATURE_FILE)),
    ];
    await sign();
    assert.deepEqual(
      [await readFile(join(dir, IMAGE_MANIFEST_FILE)), await readFile(join(dir, IMAGE_SIGNATURE_FILE))],
      first,
    );
  });

  for (const file of OUTPUTS) {
    test(`one flipped byte in ${file} fails verification naming the file and both hashes`, async () => {
      const signed = await sign();
      await flipByte(file);
      const result = await verifyImage(dir, { trustedKeys: [release.publicPem] });
      assert.equal(result.ok, false);
      assert.equal(result.problems.length, 1);
      const [problem] = result.problems;
      assert.equal(problem?.kind, "tampered-file");
      assert.equal(problem?.file, file);
      const expected = signed.manifest.outputs.find((o) => o.file === file)!.sha256;
      assert.match(
        problem!.message,
        new RegExp(`^Tampered file: ${file.replace(".", "\\.")}: sha256 [0-9a-f]{64} .*${expected}`),
      );
      assert.equal(result.signer?.keyId, release.key.keyId, "the signature itself is still good");
    });
  }

  test("any single flipped byte of an output is found (property)", async () => {
    await sign();
    const size = (await readFile(join(dir, "vmlinuz"))).length;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: size - 1 }), async (at) => {
        await flipByte("vmlinuz", at);
        const result = await verifyImage(dir, { trustedKeys: [release.publicPem] });
        await flipByte("vmlinuz", at); // back to the original for the next run
        return result.problems.some((p) => p.kind === "tampered-file" && p.file === "vmlinuz");
      }),
      { numRuns: 25 },
    );
  });

  test("a missing output is reported by name, and the other outputs are still checked", async () => {
    await sign();
    await rm(join(dir, "initramfs.zst"));
    await flipByte("rootfs.sqsh");
    const result = await verifyImage(dir, { trustedKeys: [release.publicPem] });
    assert.deepEqual(
      result.problems.map((p) => [p.kind, p.file]),
      [
        ["tampered-file", "rootfs.sqsh"],
        ["missing-file", "initramfs.zst"],
      ],
    );
    assert.match(result.problems[1]!.message, /^Missing file: .*initramfs\.zst: no such file$/);
  });

  test("an edited manifest fails the signature check", async () => {
    await sign();
    const path = join(dir, IMAGE_MANIFEST_FILE);
    await writeFile(path, (await readFile(path, "utf8")).replace('"version": "0.1.0"', '"version": "0.1.1"'));
    const result = await verifyImage(dir, { trustedKeys: [release.publicPem] });
    assert.deepEqual(
      result.problems.map((p) => p.kind),
      ["bad-signature"],
    );
    assert.match(
      result.problems[0]!.message,
      /^Bad signature: stele-image\.json or stele-image\.json\.sig was changed/,
    );
    assert.equal(result.signer, undefined);
  });

  test("a garbled or missing signature is reported", async () => {
    await sign();
    await writeFile(join(dir, IMAGE_SIGNATURE_FILE), "bm90IGEgc2lnbmF0dXJl\n");
    assert.deepEqual(
      (await verifyImage(dir, { trustedKeys: [release.publicPem] })).problems.map((p) => p.kind),
      ["bad-signature"],
    );
    await rm(join(dir, IMAGE_SIGNATURE_FILE));
    const missing = await verifyImage(dir, { trustedKeys: [release.publicPem] });
    assert.deepEqual(
      missing.problems.map((p) => p.kind),
      ["missing-signature"],
    );
  });

  test("a key that did not sign it: not signed by a trusted key, naming the signer's key id", async () => {
    await sign();
    const other = generateImageSigningKey();
    const result = await verifyImage(dir, { trustedKeys: [other.publicKeyPem] });
    assert.deepEqual(
      result.problems.map((p) => p.kind),
      ["untrusted-key"],
    );
    assert.match(result.problems[0]!.message, /^Not signed by a trusted key: /);
    assert.ok(result.problems[0]!.message.includes(release.key.keyId));
    assert.ok(result.problems[0]!.message.includes('"acme-release"'));
  });

  test("no manifest, or one that is not a manifest, is reported rather than thrown", async () => {
    const none = await verifyImage(dir, { trustedKeys: [] });
    assert.deepEqual(
      none.problems.map((p) => p.kind),
      ["missing-manifest"],
    );
    await writeFile(join(dir, IMAGE_MANIFEST_FILE), '{"schema": 1, "outputs": [{"file": "../etc/passwd"}]}');
    const invalid = await verifyImage(dir, { trustedKeys: [] });
    assert.deepEqual(
      invalid.problems.map((p) => p.kind),
      ["invalid-manifest"],
    );
    assert.match(invalid.problems[0]!.message, /outputs\.0\.file: expected a plain file name/);
  });
});

describe("development keys", () => {
  test("an image signed with the published development key is flagged, and accepted only when allowed", async () => {
    const signed = await sign(developmentSigningKey(), "stele-development");
    assert.equal(signed.manifest.signer.keyId, DEVELOPMENT_SIGNING_KEY_ID);
    const strict = await verifyImage(dir, { trustedKeys: [] });
    assert.equal(strict.ok, false);
    assert.deepEqual(
      strict.problems.map((p) => p.kind),
      ["development-key"],
    );
    assert.match(strict.problems[0]!.message, /^Signed with the development key: /);
    const allowed = await verifyImage(dir, { trustedKeys: [], allowDevelopmentKey: true });
    assert.equal(allowed.ok, true);
    assert.equal(allowed.developmentKey, true);
  });

  test("the published key is recognised by its id whatever name it signs under", async () => {
    await sign(developmentSigningKey(), "acme-release");
    assert.equal((await verifyImage(dir, { trustedKeys: [] })).developmentKey, true);
  });

  test("a trusted key whose name marks it as a test key is flagged too", async () => {
    await sign(release.key, "ci-test-key");
    const result = await verifyImage(dir, { trustedKeys: [release.publicPem] });
    assert.deepEqual(
      result.problems.map((p) => p.kind),
      ["development-key"],
    );
  });
});

describe("keys", () => {
  const ecdsa = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const cases = [
    ["ECDSA P-256", ecdsa, /holds an ECDSA P-256 key/],
    ["RSA", rsa, /holds an RSA 2048-bit key/],
  ] as const;
  for (const [name, pair, found] of cases) {
    test(`an ${name} key is refused for signing and for verifying, naming where it came from`, async () => {
      const privatePem = pair.privateKey.export({ type: "pkcs8", format: "pem" }) as string;
      const publicPem = pair.publicKey.export({ type: "spki", format: "pem" }) as string;
      assert.throws(
        () => parseImageSigningKey(privatePem, "corp.key"),
        (error) =>
          isSteleError(error) &&
          /^Not an Ed25519 signing key: corp\.key /.test(error.message) &&
          found.test(error.message),
      );
      await sign();
      await assert.rejects(
        verifyImage(dir, { trustedKeys: [{ name: "corp", publicKey: publicPem }] }),
        (error) => isSteleError(error) && error.message.includes('"corp"') && found.test(error.message),
      );
    });
  }

  test("a signer name that a TrustedKeysConfig could not list is refused", async () => {
    await assert.rejects(
      sign(release.key, "Release Key"),
      (error) => isSteleError(error) && /^Invalid signing key name/.test(error.message),
    );
  });

  test("signing needs every output present", async () => {
    await rm(join(dir, "vmlinuz"));
    await assert.rejects(
      sign(),
      (error) => isSteleError(error) && error.code === "not-found" && /vmlinuz/.test(error.message),
    );
  });
});

describe("interoperability with OpenSSL", () => {
  test("openssl pkeyutl accepts our signature and refuses it over an edited manifest; key ids agree", async () => {
    const keyFile = join(dir, "openssl.key");
    const pubFile = join(dir, "openssl.pub");
    execFileSync("openssl", ["genpkey", "-algorithm", "ed25519", "-out", keyFile]);
    execFileSync("openssl", ["pkey", "-in", keyFile, "-pubout", "-out", pubFile]);
    const key = parseImageSigningKey(await readFile(keyFile, "utf8"), keyFile);
    const signed = await sign(key, "openssl-made");

    const raw = execFileSync("openssl", ["pkey", "-pubin", "-in", pubFile, "-outform", "DER"]).subarray(-32);
    const { createHash } = await import("node:crypto");
    assert.equal(signed.manifest.signer.keyId, createHash("sha256").update(raw).digest("hex"));

    const sigBin = join(dir, "sig.bin");
    await writeFile(sigBin, Buffer.from(await readFile(join(dir, IMAGE_SIGNATURE_FILE), "utf8"), "base64"));
    const opensslVerify = (input: string) =>
      execFileSync(
        "openssl",
        ["pkeyutl", "-verify", "-pubin", "-inkey", pubFile, "-rawin", "-in", input, "-sigfile", sigBin],
        { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
      );
    assert.match(opensslVerify(join(dir, IMAGE_MANIFEST_FILE)), /Signature Verified Successfully/);
    const edited = join(dir, "edited.json");
    await writeFile(
      edited,
      (await readFile(join(dir, IMAGE_MANIFEST_FILE), "utf8")).replace("0.1.0", "0.1.1"),
    );
    assert.throws(() => opensslVerify(edited));
  });
});
