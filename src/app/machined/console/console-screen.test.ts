import assert from "node:assert/strict";
import { test } from "node:test";
import { apiFingerprintFromLine } from "./api-fingerprint.ts";
import {
  applyConfigCommand,
  type ConsoleView,
  INITIAL_CONSOLE_VIEW,
  PRESS_FOR_DASHBOARD,
  renderConsoleScreen,
} from "./console-screen.ts";

const FINGERPRINT = Array.from({ length: 32 }, (_, i) => i.toString(16).toUpperCase().padStart(2, "0")).join(
  ":",
);
const view = (change: Partial<ConsoleView>): ConsoleView => ({ ...INITIAL_CONSOLE_VIEW, ...change });

test("maintenance mode shows the address, the whole fingerprint on two lines and the apply-config command", () => {
  const screen = renderConsoleScreen(
    view({
      hostname: "worker-1",
      stage: "maintenance",
      addresses: ["10.0.2.15/24", "127.0.0.1/8", "fe80::1/64"],
      apiFingerprint: FINGERPRINT,
    }),
  );
  const lines = screen.split("\n");
  assert.equal(lines[0], "Stele node worker-1");
  assert.ok(lines.includes("Stage:       maintenance"), screen);
  assert.ok(lines.includes("Addresses:   10.0.2.15"), "loopback and link-local left out");
  const first = lines.findIndex((line) => line.startsWith("Fingerprint:"));
  const rejoined = `${lines[first]?.slice(13)}${lines[first + 1]?.trim()}`;
  assert.equal(rejoined, FINGERPRINT, "no byte is cut between the two lines");
  assert.ok(
    lines.every((line) => line.length <= 80 || line.startsWith("stelectl ")),
    "fits 80 columns",
  );
  assert.ok(
    lines.includes(
      `stelectl apply-config --insecure --nodes 10.0.2.15 --cert-fingerprint ${FINGERPRINT} --file <config.yaml>`,
    ),
  );
  assert.equal(lines.at(-1), PRESS_FOR_DASHBOARD);
});

test("before apid printed its fingerprint the screen says it waits for it, and the command has placeholders", () => {
  const screen = renderConsoleScreen(view({ stage: "maintenance" }));
  assert.match(screen, /Fingerprint: \(waiting for apid to print it\)/);
  assert.match(screen, /Addresses: {3}\(none yet\)/);
  assert.equal(
    applyConfigCommand({ addresses: [], apiFingerprint: undefined }),
    "stelectl apply-config --insecure --nodes <node address> --cert-fingerprint <fingerprint> --file <config.yaml>",
  );
});

for (const [stage, ready, waitingFor, shown] of [
  ["booting", false, [], "booting"],
  ["running", false, ["etcd", "kubelet"], "running, waiting for etcd, kubelet"],
  ["running", true, [], "ready"],
] as const) {
  test(`a ${ready ? "ready" : stage} node shows "${shown}" and no fingerprint`, () => {
    const screen = renderConsoleScreen(view({ stage, ready, waitingFor, apiFingerprint: FINGERPRINT }));
    assert.ok(screen.split("\n").includes(`Stage:       ${shown}`), screen);
    assert.doesNotMatch(screen, /Fingerprint|apply-config/);
  });
}

test("a note about the last dashboard run is shown above the key hint", () => {
  const lines = renderConsoleScreen(view({}), { note: "The dashboard exited with code 3" }).split("\n");
  assert.deepEqual(lines.slice(-3), ["The dashboard exited with code 3", "", PRESS_FOR_DASHBOARD]);
});

test("apid's fingerprint is read from its JSON line or from plain text, and only from a line that has one", () => {
  const json = JSON.stringify({ fingerprint: FINGERPRINT, msg: `maintenance mode: SHA256 ${FINGERPRINT}` });
  assert.equal(apiFingerprintFromLine(json), FINGERPRINT);
  assert.equal(apiFingerprintFromLine(`API certificate fingerprint SHA256 ${FINGERPRINT}`), FINGERPRINT);
  assert.equal(apiFingerprintFromLine('{"msg":"listening","fingerprint":"AB:CD"}'), undefined);
  assert.equal(
    apiFingerprintFromLine(`serving ${FINGERPRINT}`),
    undefined,
    "a line that does not say fingerprint",
  );
});
