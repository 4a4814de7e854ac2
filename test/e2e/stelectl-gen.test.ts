/**
 * End-to-end: the real stelectl binary, as a user runs it, from secrets to validated configs, with
 * the generated certificates checked by the real openssl.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse } from "yaml";

const STELECTL = join(import.meta.dirname, "..", "..", "bin", "stelectl.js");

function stelectl(cwd: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [STELECTL, ...args], { cwd, encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function openssl(...args: string[]): string {
  return execFileSync("openssl", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

describe("stelectl gen → validate, checked by openssl", () => {
  let dir = "";
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "stele-gen-e2e-"));
    const secrets = stelectl(dir, "gen", "secrets", "-o", "secrets.yaml");
    assert.equal(secrets.status, 0, secrets.stderr);
    const config = stelectl(
      dir,
      "gen",
      "config",
      "demo",
      "https://10.5.0.2:6443",
      "--with-secrets",
      "secrets.yaml",
      "--output-dir",
      "out",
    );
    assert.equal(config.status, 0, config.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("every file holding a key is written with mode 0600", () => {
    for (const file of ["secrets.yaml", "out/controlplane.yaml", "out/worker.yaml", "out/stelectlconfig"]) {
      assert.equal(statSync(join(dir, file)).mode & 0o777, 0o600, file);
    }
  });

  test("both configs validate for metal", () => {
    const result = stelectl(dir, "validate", "--mode", "metal", "out/controlplane.yaml", "out/worker.yaml");
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /controlplane\.yaml: valid for metal/);
  });

  test("the worker holds no private key of any CA and not the service-account key", () => {
    const worker = readFileSync(join(dir, "out/worker.yaml"), "utf8");
    assert.doesNotMatch(worker, /PRIVATE KEY/);
    const controlplane = readFileSync(join(dir, "out/controlplane.yaml"), "utf8");
    assert.equal(
      controlplane.match(/BEGIN PRIVATE KEY/g)?.length,
      5,
      "os, k8s, aggregator, etcd CA keys and the SA key",
    );
  });

  test("the admin client certificate verifies against the OS CA as a client, and only as a client", () => {
    const client = parse(readFileSync(join(dir, "out/stelectlconfig"), "utf8"));
    const context = client.contexts[client.context];
    writeFileSync(join(dir, "ca.pem"), context.ca);
    writeFileSync(join(dir, "admin.pem"), context.crt);
    assert.match(
      openssl("verify", "-CAfile", join(dir, "ca.pem"), "-purpose", "sslclient", join(dir, "admin.pem")),
      /OK/,
    );
    assert.throws(() =>
      openssl("verify", "-CAfile", join(dir, "ca.pem"), "-purpose", "sslserver", join(dir, "admin.pem")),
    );
    const text = openssl("x509", "-in", join(dir, "admin.pem"), "-noout", "-text");
    assert.match(text, /Public Key Algorithm: ED25519/);
    assert.match(text, /O\s*=\s*os:admin/);
    assert.match(text, /X509v3 Extended Key Usage:\s*\n\s*TLS Web Client Authentication\s*\n/);
    const days =
      (Date.parse(openssl("x509", "-in", join(dir, "admin.pem"), "-noout", "-enddate").split("=")[1]!) -
        Date.now()) /
      86_400_000;
    assert.ok(days > 364 && days <= 366, `admin certificate lives one year, got ${days} days`);
  });

  test("each section has its own CA: os Ed25519, the others ECDSA P-256, all distinct", () => {
    const bundle = parse(readFileSync(join(dir, "secrets.yaml"), "utf8"));
    const fingerprints = new Set<string>();
    for (const [section, algorithm] of [
      ["os", /ED25519/],
      ["kubernetes", /prime256v1/],
      ["etcd", /prime256v1/],
      ["aggregator", /prime256v1/],
    ] as const) {
      const path = join(dir, `${section}.pem`);
      writeFileSync(path, bundle.certs[section].crt);
      const text = openssl("x509", "-in", path, "-noout", "-text");
      assert.match(text, algorithm, section);
      assert.match(text, /CA:TRUE/, section);
      assert.match(openssl("verify", "-CAfile", path, path), /OK/, section);
      fingerprints.add(openssl("x509", "-in", path, "-noout", "-fingerprint", "-sha256"));
    }
    assert.equal(fingerprints.size, 4);
  });

  test("a failing command writes nothing: a bad patch leaves no output files", () => {
    const result = stelectl(
      dir,
      "gen",
      "config",
      "demo",
      "https://10.5.0.2:6443",
      "--with-secrets",
      "secrets.yaml",
      "--output-dir",
      "bad",
      "--config-patch",
      '[{"op":"remove","path":"/nope"}]',
    );
    assert.equal(result.status, 1);
    assert.match(
      result.stderr,
      /error: Patch --config-patch \(inline\).*op 1 \(remove \/nope\).*path does not exist/,
    );
    assert.throws(() => readdirSync(join(dir, "bad")), /ENOENT/);
  });

  test("existing files are never overwritten without --force", () => {
    const result = stelectl(dir, "gen", "secrets", "-o", "secrets.yaml");
    assert.equal(result.status, 1);
    assert.match(result.stderr, /Refusing to overwrite: secrets\.yaml already exists/);
  });

  test("an unsupported Kubernetes version is refused with the supported ones listed", () => {
    const result = stelectl(
      dir,
      "gen",
      "config",
      "demo",
      "https://10.5.0.2:6443",
      "--kubernetes-version",
      "1.29",
      "--output-dir",
      "k",
    );
    assert.equal(result.status, 1);
    assert.match(
      result.stderr,
      /Kubernetes 1\.29 is not supported .*: supported versions are 1\.37, 1\.36, 1\.35/,
    );
  });

  test("a reader client config can be minted, and unknown roles are refused", () => {
    const ok = stelectl(
      dir,
      "config",
      "new",
      "reader.cfg",
      "--roles",
      "os:reader",
      "--ttl",
      "720h",
      "--with-secrets",
      "secrets.yaml",
    );
    assert.equal(ok.status, 0, ok.stderr);
    const reader = parse(readFileSync(join(dir, "reader.cfg"), "utf8"));
    writeFileSync(join(dir, "reader.pem"), Object.values<{ crt: string }>(reader.contexts)[0]!.crt);
    assert.match(openssl("x509", "-in", join(dir, "reader.pem"), "-noout", "-subject"), /O\s*=\s*os:reader/);
    const bad = stelectl(
      dir,
      "config",
      "new",
      "bad.cfg",
      "--roles",
      "os:root",
      "--with-secrets",
      "secrets.yaml",
    );
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /Unknown role "os:root"/);
  });

  test("a generated pair audits clean; turning debug on makes audit fail with a high finding", () => {
    const clean = stelectl(dir, "audit", "out/controlplane.yaml", "out/worker.yaml");
    assert.equal(clean.status, 0, clean.stdout + clean.stderr);
    const patched = stelectl(
      dir,
      "mc",
      "patch",
      "out/controlplane.yaml",
      "-p",
      '{"debug": true}',
      "-o",
      "debug.yaml",
    );
    assert.equal(patched.status, 0, patched.stderr);
    const audit = stelectl(dir, "audit", "-o", "json", "debug.yaml");
    assert.equal(audit.status, 2, audit.stderr);
    const report = JSON.parse(audit.stdout);
    const finding = report.findings.find((f: { rule: string }) => f.rule === "debug-enabled");
    assert.equal(finding.severity, "high");
    assert.equal(finding.path, "debug");
    assert.ok(finding.line > 0 && finding.fix.length > 0);
  });

  test("a company CA given to gen secrets becomes the OS CA: the admin certificate chains to it", () => {
    openssl(
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-days",
      "365",
      "-subj",
      "/O=ACME Bank/CN=ACME Root",
      "-keyout",
      join(dir, "company.key"),
      "-out",
      join(dir, "company.pem"),
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    );
    const secrets = stelectl(
      dir,
      "gen",
      "secrets",
      "-o",
      "company-secrets.yaml",
      "--ca-cert",
      "company.pem",
      "--ca-key",
      "company.key",
    );
    assert.equal(secrets.status, 0, secrets.stderr);
    const config = stelectl(
      dir,
      "gen",
      "config",
      "acme",
      "https://10.5.0.2:6443",
      "--with-secrets",
      "company-secrets.yaml",
      "--output-dir",
      "acme",
    );
    assert.equal(config.status, 0, config.stderr);
    const client = parse(readFileSync(join(dir, "acme/stelectlconfig"), "utf8"));
    writeFileSync(join(dir, "acme-admin.pem"), client.contexts.acme.crt);
    assert.match(
      openssl(
        "verify",
        "-CAfile",
        join(dir, "company.pem"),
        "-purpose",
        "sslclient",
        join(dir, "acme-admin.pem"),
      ),
      /OK/,
    );
    const leaf = stelectl(
      dir,
      "gen",
      "secrets",
      "-o",
      "x.yaml",
      "--ca-cert",
      "acme-admin.pem",
      "--ca-key",
      "company.key",
    );
    assert.equal(leaf.status, 1);
    assert.match(leaf.stderr, /error: .*--ca-cert/);
  });

  test("gen crt issues a role-limited client certificate; extra trusted roots satisfy the company-CA policy", () => {
    const crt = stelectl(
      dir,
      "gen",
      "crt",
      "--ca-cert",
      "company.pem",
      "--ca-key",
      "company.key",
      "--name",
      "monitoring",
      "--roles",
      "os:reader",
      "--ttl",
      "720h",
    );
    assert.equal(crt.status, 0, crt.stderr);
    assert.equal(statSync(join(dir, "monitoring.key")).mode & 0o777, 0o600);
    assert.match(
      openssl(
        "verify",
        "-CAfile",
        join(dir, "company.pem"),
        "-purpose",
        "sslclient",
        join(dir, "monitoring.crt"),
      ),
      /OK/,
    );
    assert.match(
      openssl("x509", "-in", join(dir, "monitoring.crt"), "-noout", "-subject"),
      /O\s*=\s*os:reader/,
    );

    const without = stelectl(dir, "audit", "--require-company-ca", "out/controlplane.yaml");
    assert.equal(without.status, 2, "a self-signed OS CA without extra roots fails the company-CA policy");
    assert.match(without.stdout, /company-ca-missing|company/i);
    const config = stelectl(
      dir,
      "gen",
      "config",
      "demo",
      "https://10.5.0.2:6443",
      "--with-secrets",
      "secrets.yaml",
      "--trusted-roots",
      "company.pem",
      "--output-dir",
      "roots",
    );
    assert.equal(config.status, 0, config.stderr);
    assert.match(
      readFileSync(join(dir, "roots/controlplane.yaml"), "utf8"),
      /kind: TrustedRootsConfig\nname: company/,
    );
    const withRoots = stelectl(dir, "audit", "--require-company-ca", "roots/controlplane.yaml");
    assert.equal(withRoots.status, 0, withRoots.stdout);
  });
});
