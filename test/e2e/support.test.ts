/**
 * End-to-end: `stelectl support` against a real control plane (machined supervising the real apid
 * and trustd, booted with its config), as an admin, then the archive is extracted with the real
 * tar and scanned for every secret of the config.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, test } from "node:test";
import { serializeClientConfig } from "../../src/machinery/client/index.ts";
import { generateConfigs } from "../../src/machinery/config/generate-config.ts";
import { serializeConfig } from "../../src/machinery/config/serialize-config.ts";
import { generateSecretsBundle, issueCertificate } from "../../src/machinery/pki/index.ts";
import { killLeftovers, type LocalNode, startLocalNode } from "./local-node.ts";

const STELECTL = join(import.meta.dirname, "..", "..", "bin", "stelectl.js");
/** A loopback address of this run's own, so a leftover from another run cannot answer. */
const CP = `127.${10 + Math.floor(Math.random() * 200)}.${Math.floor(Math.random() * 250)}.2`;

let dir = "";
let node: LocalNode | undefined;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "stele-support-e2e-"));
});

after(async () => {
  await node?.stop();
  killLeftovers(dir);
  rmSync(dir, { recursive: true, force: true });
});

function walk(root: string): string[] {
  return readdirSync(root, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(root, entry.name)) : [join(root, entry.name)],
  );
}

test("stelectl support collects a control plane's state and none of its secrets", async () => {
  const secrets = await generateSecretsBundle();
  const configs = generateConfigs({ clusterName: "support", endpoint: `https://${CP}:6443`, secrets });
  const configText = serializeConfig(configs.controlplane);
  const config = join(dir, "controlplane.yaml");
  writeFileSync(config, configText, { mode: 0o600 });
  node = startLocalNode({ address: CP, stateDir: join(dir, "cp"), config });
  await node.waitForConsole(/apid listening.*"maintenance":false/, 30_000);

  const admin = await issueCertificate({
    ca: secrets.certs.os,
    commonName: "support-admin",
    organizations: ["os:admin"],
    usage: "client",
    ttlMs: 3_600_000,
  });
  const clientConfig = join(dir, "stelectlconfig");
  writeFileSync(
    clientConfig,
    serializeClientConfig({
      context: "e2e",
      contexts: {
        e2e: { endpoints: [CP], nodes: [CP], ca: secrets.certs.os.crt, crt: admin.crt, key: admin.key ?? "" },
      },
    }),
    { mode: 0o600 },
  );
  const archive = join(dir, "support.tar.gz");
  const run = spawnSync(
    process.execPath,
    [STELECTL, "--stelectlconfig", clientConfig, "support", "--output", archive],
    { encoding: "utf8", env: { ...process.env, NODE_NO_WARNINGS: "1" }, timeout: 120_000 },
  );
  assert.equal(run.status, 0, run.stderr);

  const out = join(dir, "out");
  mkdirSync(out);
  execFileSync("tar", ["-xzf", archive, "-C", out]);
  const files = new Map(walk(out).map((path) => [relative(out, path), readFileSync(path, "utf8")]));
  for (const part of [
    "logs/machined.log",
    "logs/apid.log",
    "version.yaml",
    "machineconfig.yaml",
    "events.yaml",
  ])
    assert.ok(files.has(`${CP}/${part}`), `${CP}/${part} in ${[...files.keys()].join(", ")}`);
  assert.ok([...files.keys()].some((path) => path.startsWith(`${CP}/resources/`)));

  assert.equal(files.get(`${CP}/errors.txt`), undefined, "every part was collected");
  assert.match(files.get(`${CP}/machineconfig.yaml`) ?? "", /\[redacted\]/);
  const base64Secrets = [...configText.matchAll(/^\s*(?:secret|secretboxEncryptionSecret): (\S{44})$/gm)].map(
    (match) => match[1] ?? "",
  );
  assert.equal(base64Secrets.length, 2, "the config holds both base64 secrets");
  assert.match(configText, /PRIVATE KEY/);
  for (const [path, text] of files) {
    assert.doesNotMatch(text, /PRIVATE KEY/, path);
    assert.doesNotMatch(text, /[a-z0-9]{6}\.[a-z0-9]{16}/, path);
    for (const secret of base64Secrets) assert.equal(text.includes(secret), false, `${path} holds a secret`);
  }
});
