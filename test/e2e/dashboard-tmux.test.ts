/**
 * End-to-end: the real `stelectl dashboard` in a real terminal (tmux) against a real node, driven by
 * key presses as an operator would, and quitting cleanly.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { mintClientConfig, serializeClientConfig } from "../../src/machinery/client/index.ts";
import { generateConfigs } from "../../src/machinery/config/generate-config.ts";
import { serializeConfig } from "../../src/machinery/config/serialize-config.ts";
import { generateSecretsBundle } from "../../src/machinery/pki/index.ts";
import { eventually, killLeftovers, type LocalNode, startLocalNode } from "./local-node.ts";

const STELECTL = join(import.meta.dirname, "..", "..", "bin", "stelectl.js");
const ADDRESS = `127.${10 + Math.floor(Math.random() * 200)}.${Math.floor(Math.random() * 250)}.5`;
const SESSION = `stele-dashboard-${process.pid}`;

let dir = "";
let node: LocalNode | undefined;

const tmux = (...args: string[]) => spawnSync("tmux", args, { encoding: "utf8" });
const screen = () => tmux("capture-pane", "-t", SESSION, "-p").stdout;
/** Waits until the terminal shows `pattern`; on time-out the error shows the screen as it was. */
async function showing(pattern: RegExp): Promise<void> {
  try {
    await eventually(() => (pattern.test(screen()) ? true : undefined), 30_000);
  } catch (error) {
    throw new Error(`The dashboard never showed ${pattern}; the screen:\n${screen()}`, { cause: error });
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "stele-dashboard-e2e-"));
  const secrets = await generateSecretsBundle();
  const configs = generateConfigs({ clusterName: "dash", endpoint: `https://${ADDRESS}:6443`, secrets });
  writeFileSync(join(dir, "controlplane.yaml"), serializeConfig(configs.controlplane), { mode: 0o600 });
  const client = await mintClientConfig({
    osCA: secrets.certs.os,
    roles: ["os:reader"],
    contextName: "dash",
    endpoints: [ADDRESS],
    nodes: [ADDRESS],
  });
  writeFileSync(join(dir, "stelectlconfig"), serializeClientConfig(client), { mode: 0o600 });
  node = startLocalNode({
    address: ADDRESS,
    stateDir: join(dir, "node"),
    config: join(dir, "controlplane.yaml"),
  });
  await node.waitForConsole(/apid listening.*"maintenance":false/, 30_000);
});

after(async () => {
  tmux("kill-session", "-t", SESSION);
  await node?.stop();
  killLeftovers(dir);
  rmSync(dir, { recursive: true, force: true });
});

test("a reader watches a node in the dashboard: summary, monitor, services, a log, then quits cleanly", async () => {
  const command = `${process.execPath} ${STELECTL} --stelectlconfig ${join(dir, "stelectlconfig")} dashboard --interval 250ms`;
  // The shell keeps the pane after the dashboard exits, so its exit status (and any error) can be read.
  const shell = `${command}; echo "dashboard exited with status $?"; sleep 60`;
  execFileSync("tmux", ["new-session", "-d", "-s", SESSION, "-x", "120", "-y", "32", shell]);
  await showing(/Stage\s+running/);
  assert.match(screen(), new RegExp(`node ${ADDRESS.replaceAll(".", "\\.")}`));

  tmux("send-keys", "-t", SESSION, "2");
  await showing(/CPU\s+\d+(\.\d+)?%/);
  assert.match(screen(), /[▁▂▃▄▅▆▇█]/, "the monitor draws sparklines");

  tmux("send-keys", "-t", SESSION, "3");
  await showing(/apid\s+running/);
  assert.match(screen(), /trustd\s+running/);

  tmux("send-keys", "-t", SESSION, "Enter");
  await showing(/Log of \S+ \(following\)/);

  tmux("send-keys", "-t", SESSION, "q");
  await showing(/dashboard exited with status 0/);
});
