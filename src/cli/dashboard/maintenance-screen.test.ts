import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { cleanup, render } from "ink-testing-library";
import { createElement as h } from "react";
import { apiFingerprintFromLog } from "./api-fingerprint.ts";
import { DashboardApp } from "./dashboard-app.ts";
import type { NodeSummary } from "./dashboard-source.ts";
import { FakeDashboardSource } from "./fake-dashboard-source.ts";
import { applyConfigCommand } from "./maintenance-screen.ts";

afterEach(() => cleanup());

const FINGERPRINT = Array.from({ length: 32 }, (_, i) =>
  (i * 7).toString(16).padStart(2, "0").toUpperCase(),
).join(":");

/** A source whose node is in maintenance mode, as the console dashboard sees it on first boot. */
class MaintenanceSource extends FakeDashboardSource {
  fingerprint: string | undefined = FINGERPRINT;
  override async summary(node: string): Promise<NodeSummary> {
    return {
      ...(await super.summary(node)),
      stage: "maintenance",
      unmetConditions: [{ name: "config", reason: "Waiting for a machine configuration" }],
      addresses: ["127.0.0.1/8", "10.0.2.15/24", "fe80::1/64"],
      members: 0,
      ...(this.fingerprint === undefined ? {} : { apiFingerprint: this.fingerprint }),
    };
  }
}

/** The frame once the summary arrived (ink-testing-library's terminal is 100 columns wide). */
async function frameOf(source: FakeDashboardSource): Promise<string> {
  const app = render(h(DashboardApp, { source }));
  const deadline = Date.now() + 2000;
  for (;;) {
    const frame = app.lastFrame() ?? "";
    if (frame.includes("Maintenance mode") || Date.now() > deadline) return frame;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test("in maintenance mode the summary shows the address, the fingerprint and the whole apply-config command", async () => {
  const frame = await frameOf(new MaintenanceSource(["local"]));
  assert.match(frame, /Maintenance mode: this node waits for a machine configuration/);
  assert.match(frame, /│Addresses\s+10\.0\.2\.15\s+│/, "dialable addresses only, without prefix lengths");
  const flat = frame.replace(/[│\s]+/g, " ");
  const half = FINGERPRINT.slice(0, 48);
  assert.ok(flat.includes(`Fingerprint ${half} ${FINGERPRINT.slice(48)}`), `split between bytes:\n${frame}`);
  assert.ok(
    flat.includes(
      `stelectl apply-config --insecure --nodes 10.0.2.15 --cert-fingerprint ${FINGERPRINT} --file <config.yaml>`,
    ),
    frame,
  );
});

test("before apid printed its fingerprint the screen says it is waiting, and the command keeps a placeholder", async () => {
  const source = new MaintenanceSource(["local"]);
  source.fingerprint = undefined;
  const frame = await frameOf(source);
  assert.match(frame, /Fingerprint\s+\(waiting for apid to print it\)/);
  assert.match(frame, /--cert-fingerprint <fingerprint>/);
});

test("a running node's summary has no maintenance box", async () => {
  const app = render(h(DashboardApp, { source: new FakeDashboardSource(["a"]) }));
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.match(app.lastFrame() ?? "", /Stage\s+running/);
  assert.doesNotMatch(app.lastFrame() ?? "", /Maintenance mode/);
});

test("the command names the first dialable address, or says what is missing", () => {
  assert.equal(
    applyConfigCommand({ addresses: ["::1/128", "192.168.1.7/24"], apiFingerprint: "AA:BB" }),
    "stelectl apply-config --insecure --nodes 192.168.1.7 --cert-fingerprint AA:BB --file <config.yaml>",
  );
  assert.match(
    applyConfigCommand({ addresses: [] }),
    /--nodes <node address> --cert-fingerprint <fingerprint>/,
  );
});

test("the fingerprint is read from apid's newest maintenance line, JSON or text", () => {
  const other = FINGERPRINT.replace(/^00/, "FF");
  const json = (fingerprint: string) =>
    JSON.stringify({
      level: "info",
      fingerprint,
      msg: `maintenance mode: API certificate fingerprint SHA256 ${fingerprint}`,
    });
  assert.equal(apiFingerprintFromLog([json(FINGERPRINT), '{"msg":"apid listening"}', json(other)]), other);
  assert.equal(apiFingerprintFromLog([`apid: fingerprint SHA256 ${FINGERPRINT}`]), FINGERPRINT);
  assert.equal(apiFingerprintFromLog(['{"msg":"apid listening"}', "fingerprint AB:CD"]), undefined);
});
