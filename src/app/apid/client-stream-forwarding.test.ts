/**
 * apid forwards a client-streaming call (EtcdRecover's snapshot upload) as it forwards the others:
 * admitted by role first, to the local machined or one hop to the node `x-stele-node` names, with
 * the bytes whole and in order, and machined's answer or refusal back unchanged.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { status } from "@grpc/grpc-js";
import { MachineServiceService } from "../../machinery/api/machine/v1alpha1/machine.ts";
import { type RunningApid, startApid } from "./apid.ts";
import type { ApidLogger } from "./apid-logger.ts";
import { uploadApid } from "./apid-test-client.ts";
import { channelCredentials, type EdgePki, generateEdgePki } from "./edge-test-fixture.ts";
import {
  REFUSED_UPLOAD,
  STAND_IN_HINT,
  type StandInMachined,
  startStandInMachined,
} from "./machined-stand-in.ts";
import { NODE_METADATA_KEY } from "./routing-metadata.ts";

const quiet: ApidLogger = { info() {}, warn() {}, error() {} };
const RECOVER = MachineServiceService.etcdRecover;

/** `count` chunks of `size` bytes, each filled with a byte of its own, so order is checked too. */
function chunks(count: number, size: number): { bytes: Buffer }[] {
  return Array.from({ length: count }, (_, i) => ({ bytes: Buffer.alloc(size, i % 256) }));
}

describe("apid forwards client streams", () => {
  let dir: string;
  let pki: EdgePki;
  const machined: Record<"a" | "b", StandInMachined> = {} as never;
  const apid: Record<"a" | "b", RunningApid> = {} as never;
  const as = (who: "admin" | "operator") => channelCredentials(pki.ca.crt, pki[who]);
  const recovers = (node: "a" | "b") => machined[node].calls.filter((c) => c.method === RECOVER.path);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "stele-apid-upload-"));
    pki = await generateEdgePki();
    for (const node of ["a", "b"] as const) {
      machined[node] = await startStandInMachined(join(dir, node, "machine.sock"), `node-${node}`);
      apid[node] = await startApid({
        listen: "127.0.0.1:0",
        machinedSocket: machined[node].socket,
        identity: { ca: pki.ca.crt, crt: pki.server.crt, key: pki.server.key },
        impersonator: pki.impersonator,
        logger: quiet,
      });
    }
  });
  after(async () => {
    for (const node of ["a", "b"] as const) {
      await apid[node]?.close();
      await machined[node]?.close();
    }
    await rm(dir, { recursive: true, force: true });
  });

  test("an admin's 8 MiB upload reaches the local machined whole and in order, with the admin's roles", async () => {
    const sent = chunks(128, 64 * 1024);
    const outcome = await uploadApid(apid.a.address, as("admin"), RECOVER, { chunks: sent });
    assert.ok(outcome.ok, outcome.ok ? "" : outcome.error.message);
    assert.equal(outcome.messages[0]?.messages[0]?.metadata?.hostname, "node-a");
    assert.deepEqual(machined.a.uploads.at(-1), Buffer.concat(sent.map((c) => c.bytes)));
    assert.equal(recovers("a").at(-1)?.roles, "os:admin");
  });

  test("an operator's upload is refused and never reaches machined", async () => {
    const before = recovers("a").length;
    const outcome = await uploadApid(apid.a.address, as("operator"), RECOVER, { chunks: chunks(2, 10) });
    assert.equal(!outcome.ok && outcome.error.code, status.PERMISSION_DENIED);
    assert.equal(recovers("a").length, before);
  });

  test("an upload to A naming B goes one hop to B's machined, whole, with the admin's roles", async () => {
    const sent = chunks(40, 32 * 1024);
    const beforeA = recovers("a").length;
    const outcome = await uploadApid(apid.a.address, as("admin"), RECOVER, {
      chunks: sent,
      metadata: { [NODE_METADATA_KEY]: apid.b.address },
    });
    assert.ok(outcome.ok, outcome.ok ? "" : outcome.error.message);
    assert.equal(outcome.messages[0]?.messages[0]?.metadata?.hostname, "node-b");
    assert.deepEqual(machined.b.uploads.at(-1), Buffer.concat(sent.map((c) => c.bytes)));
    assert.equal(recovers("a").length, beforeA, "A's machined is not asked");
    assert.equal(recovers("b").at(-1)?.roles, "os:admin");
  });

  test("machined's refusal reaches the client with its code, message and hint, across the hop too", async () => {
    const routes: Record<string, string>[] = [{}, { [NODE_METADATA_KEY]: apid.b.address }];
    for (const metadata of routes) {
      const outcome = await uploadApid(apid.a.address, as("admin"), RECOVER, {
        chunks: [{ bytes: Buffer.from(REFUSED_UPLOAD) }],
        metadata,
      });
      assert.equal(!outcome.ok && outcome.error.code, status.FAILED_PRECONDITION);
      assert.equal(!outcome.ok && outcome.error.details, "Not a control-plane node");
      assert.equal(!outcome.ok && String(outcome.error.metadata.get("x-stele-hint")[0]), STAND_IN_HINT);
    }
  });
});
