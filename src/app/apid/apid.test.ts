import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { status } from "@grpc/grpc-js";
import {
  ApplyConfigurationRequest,
  MachineServiceService,
  RebootRequest,
} from "../../machinery/api/machine/v1alpha1/machine.ts";
import { VersionRequest, VersionServiceService } from "../../machinery/api/machine/v1alpha1/version.ts";
import { type RunningApid, startApid } from "./apid.ts";
import type { ApidLogger } from "./apid-logger.ts";
import { callApid, fetchServedCertificate, pinnedCredentials } from "./apid-test-client.ts";
import { channelCredentials, type EdgePki, generateEdgePki } from "./edge-test-fixture.ts";
import { FORWARDED_ROLES_METADATA_KEY } from "./forwarded-roles.ts";
import { type StandInMachined, startStandInMachined } from "./machined-stand-in.ts";
import { NODE_METADATA_KEY } from "./routing-metadata.ts";

const quiet: ApidLogger = { info() {}, warn() {}, error() {} };

describe("one-hop routing between two apids", () => {
  let dir: string;
  let pki: EdgePki;
  const machined: Record<"a" | "b", StandInMachined> = {} as never;
  const apid: Record<"a" | "b", RunningApid> = {} as never;
  const as = (who: "admin" | "reader" | "impersonator") => channelCredentials(pki.ca.crt, pki[who]);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "stele-apid-hop-"));
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

  test("a reader's call to A naming B is answered by B's machined, with the reader's roles", async () => {
    const outcome = await callApid(apid.a.address, as("reader"), VersionServiceService.version, {
      request: VersionRequest.create(),
      metadata: { [NODE_METADATA_KEY]: apid.b.address },
    });
    assert.ok(outcome.ok, outcome.ok ? "" : outcome.error.message);
    assert.equal(outcome.messages[0]?.messages[0]?.metadata?.hostname, "node-b");
    assert.equal(machined.a.calls.length, 0, "A's machined is not asked");
    const call = machined.b.calls.at(-1);
    assert.equal(call?.roles, "os:reader");
    assert.deepEqual(call?.metadata.get(NODE_METADATA_KEY), [], "the node name is not sent on");
  });

  test("a reader forwarded to B still cannot Reboot B", async () => {
    const outcome = await callApid(apid.a.address, as("reader"), MachineServiceService.reboot, {
      request: RebootRequest.create(),
      metadata: { [NODE_METADATA_KEY]: apid.b.address },
    });
    assert.equal(!outcome.ok && outcome.error.code, status.PERMISSION_DENIED);
    // A refuses it already; B refuses it too when a peer forwards a reader's roles anyway.
    const forwarded = await callApid(apid.b.address, as("impersonator"), MachineServiceService.reboot, {
      request: RebootRequest.create(),
      metadata: { [FORWARDED_ROLES_METADATA_KEY]: "os:reader" },
    });
    assert.equal(!forwarded.ok && forwarded.error.code, status.PERMISSION_DENIED);
    assert.match(!forwarded.ok ? forwarded.error.details : "", /the forwarded client has os:reader/);
    assert.equal(machined.b.calls.filter((c) => c.method === MachineServiceService.reboot.path).length, 0);
  });

  test("a client without os:impersonator sending forwarded roles to B gets its own roles only", async () => {
    const outcome = await callApid(apid.b.address, as("reader"), MachineServiceService.reboot, {
      request: RebootRequest.create(),
      metadata: { [FORWARDED_ROLES_METADATA_KEY]: "os:admin" },
    });
    assert.equal(!outcome.ok && outcome.error.code, status.PERMISSION_DENIED);
    assert.match(!outcome.ok ? outcome.error.details : "", /the client certificate has os:reader/);
  });

  test("a forwarded request that names yet another node is refused", async () => {
    const outcome = await callApid(apid.b.address, as("impersonator"), VersionServiceService.version, {
      request: VersionRequest.create(),
      metadata: { [FORWARDED_ROLES_METADATA_KEY]: "os:admin", [NODE_METADATA_KEY]: apid.a.address },
    });
    assert.equal(!outcome.ok && outcome.error.code, status.PERMISSION_DENIED);
    assert.match(!outcome.ok ? outcome.error.details : "", /forwarded once already/);
    assert.equal(machined.a.calls.length, 0);
  });

  test("an impersonator forwarding an admin's call is served with the admin's roles", async () => {
    const outcome = await callApid(apid.b.address, as("impersonator"), MachineServiceService.reboot, {
      request: RebootRequest.create(),
      metadata: { [FORWARDED_ROLES_METADATA_KEY]: "os:admin" },
    });
    assert.ok(outcome.ok, outcome.ok ? "" : outcome.error.message);
    assert.equal(machined.b.calls.at(-1)?.roles, "os:admin");
  });
});

describe("maintenance mode", () => {
  let dir: string;
  let machined: StandInMachined;
  let apid: RunningApid;
  const logged: string[] = [];
  let served: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "stele-apid-maint-"));
    machined = await startStandInMachined(join(dir, "machine.sock"), "fresh");
    apid = await startApid({
      listen: "127.0.0.1:0",
      machinedSocket: machined.socket,
      identity: { maintenance: true, ips: ["127.0.0.1"] },
      logger: { ...quiet, info: (_fields, message) => logged.push(message) },
    });
    served = await fetchServedCertificate(apid.address);
  });
  after(async () => {
    await apid.close();
    await machined.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("the logged fingerprint is openssl's SHA-256 fingerprint of the served certificate", async () => {
    const file = join(dir, "served.crt");
    await writeFile(file, served);
    const openssl = execFileSync("openssl", ["x509", "-noout", "-fingerprint", "-sha256", "-in", file], {
      encoding: "utf8",
    });
    const expected = openssl.trim().split("=")[1];
    assert.equal(apid.fingerprint, expected);
    assert.ok(
      logged.includes(`maintenance mode: API certificate fingerprint SHA256 ${expected}`),
      logged.join("\n"),
    );
  });

  test("Version and ApplyConfiguration are served without a client certificate", async () => {
    const version = await callApid(apid.address, pinnedCredentials(served), VersionServiceService.version, {
      request: VersionRequest.create(),
    });
    assert.ok(version.ok, version.ok ? "" : version.error.message);
    assert.equal(version.messages[0]?.messages[0]?.metadata?.hostname, "fresh");
    const apply = await callApid(
      apid.address,
      pinnedCredentials(served),
      MachineServiceService.applyConfiguration,
      {
        request: ApplyConfigurationRequest.fromPartial({ data: Buffer.from("kind: MachineConfig\n") }),
      },
    );
    assert.ok(apply.ok, apply.ok ? "" : apply.error.message);
    assert.equal(machined.calls.at(-1)?.method, MachineServiceService.applyConfiguration.path);
  });

  test("anything else is refused and never reaches machined", async () => {
    const before = machined.calls.length;
    const outcome = await callApid(apid.address, pinnedCredentials(served), MachineServiceService.reboot, {
      request: RebootRequest.create(),
    });
    assert.equal(!outcome.ok && outcome.error.code, status.PERMISSION_DENIED);
    assert.match(!outcome.ok ? outcome.error.details : "", /not served in maintenance mode/);
    assert.equal(machined.calls.length, before);
  });

  test("a request naming another node is refused: there is no certificate to dial it with", async () => {
    const outcome = await callApid(apid.address, pinnedCredentials(served), VersionServiceService.version, {
      request: VersionRequest.create(),
      metadata: { [NODE_METADATA_KEY]: "10.0.0.99" },
    });
    assert.equal(!outcome.ok && outcome.error.code, status.FAILED_PRECONDITION);
  });
});
