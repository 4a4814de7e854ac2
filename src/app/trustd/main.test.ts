import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { generateConfigs } from "../../machinery/config/generate-config.ts";
import { serializeConfig } from "../../machinery/config/index.ts";
import { generateSecretsBundle } from "../../machinery/pki/index.ts";
import { requestCertificate } from "../../machinery/trustd/index.ts";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "stele-trustd-main-"));
const children: ChildProcess[] = [];
after(() => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

const secrets = await generateSecretsBundle();
const configs = generateConfigs({ clusterName: "demo", endpoint: "https://127.0.0.1:6443", secrets });

function run(config: string): { child: ChildProcess; stderr: () => string; exit: Promise<number | null> } {
  const file = join(dir, `${children.length}.yaml`);
  writeFileSync(file, config, { mode: 0o600 });
  const child = spawn(process.execPath, [MAIN, "--config", file, "--listen", "127.0.0.1:0"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  children.push(child);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, stderr: () => stderr, exit };
}

test("trustd started from a control plane's config serves workers and stops on SIGTERM", async () => {
  const trustd = run(serializeConfig(configs.controlplane));
  let address: string | undefined;
  for (let i = 0; i < 100 && address === undefined; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const line = trustd
      .stderr()
      .split("\n")
      .find((l) => l.includes('"trustd listening"'));
    if (line) address = (JSON.parse(line) as { address: string }).address;
  }
  assert.ok(address, trustd.stderr());
  const issued = await requestCertificate({
    endpoints: [address],
    token: secrets.trustd.token,
    caPem: secrets.certs.os.crt,
    hostnames: ["worker-1"],
    signal: AbortSignal.timeout(5_000),
  });
  assert.match(issued.crt, /BEGIN CERTIFICATE/);
  trustd.child.kill("SIGTERM");
  assert.equal(await trustd.exit, 0);
  assert.doesNotMatch(trustd.stderr(), new RegExp(secrets.trustd.token.replace(".", "\\.")));
});

test("trustd refuses a worker's config with an error and a hint", async () => {
  const trustd = run(serializeConfig(configs.worker));
  assert.equal(await trustd.exit, 1);
  assert.match(trustd.stderr(), /^error: Cannot start trustd: .*worker's.*\nhint: /);
});
