import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type ServiceError, status } from "@grpc/grpc-js";
import {
  LogsRequest,
  type LogsResponse,
  MachineServiceService,
  RebootRequest,
  ServiceListRequest,
} from "../../machinery/api/machine/v1alpha1/machine.ts";
import { VersionRequest, VersionServiceService } from "../../machinery/api/machine/v1alpha1/version.ts";
import { GetRequest, ResourceServiceService } from "../../machinery/api/resource/v1alpha1/resource.ts";
import { type RunningApid, startApid } from "./apid.ts";
import type { ApidLogger } from "./apid-logger.ts";
import { callApid, openStream } from "./apid-test-client.ts";
import { channelCredentials, type EdgePki, generateEdgePki } from "./edge-test-fixture.ts";
import { FORWARDED_ROLES_METADATA_KEY } from "./forwarded-roles.ts";
import {
  DMESG_CHUNKS,
  LOG_CHUNKS,
  PLAIN_TYPE,
  SENSITIVE_ALIAS,
  SENSITIVE_TYPE,
  STAND_IN_HINT,
  type StandInMachined,
  startStandInMachined,
} from "./machined-stand-in.ts";
import { HINT_METADATA_KEY } from "./to-grpc-status.ts";

const quiet: ApidLogger = { info() {}, warn() {}, error() {} };

describe("apid forwards to machined", () => {
  let dir: string;
  let pki: EdgePki;
  let machined: StandInMachined;
  let apid: RunningApid;
  const as = (who: "admin" | "operator" | "reader") => channelCredentials(pki.ca.crt, pki[who]);
  const seen = (method: string) => machined.calls.filter((call) => call.method === method);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "stele-apid-"));
    pki = await generateEdgePki();
    machined = await startStandInMachined(join(dir, "run", "machine.sock"), "node-a");
    apid = await startApid({
      listen: "127.0.0.1:0",
      machinedSocket: machined.socket,
      identity: { ca: pki.ca.crt, crt: pki.server.crt, key: pki.server.key },
      logger: quiet,
    });
  });
  after(async () => {
    await apid.close();
    await machined.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("a reader's Version reaches machined, with the reader's roles, and the reply reaches the reader", async () => {
    const outcome = await callApid(apid.address, as("reader"), VersionServiceService.version, {
      request: VersionRequest.create(),
      metadata: { "x-request-id": "r-1" },
    });
    assert.ok(outcome.ok, outcome.ok ? "" : outcome.error.message);
    assert.equal(outcome.messages[0]?.messages[0]?.metadata?.hostname, "node-a");
    assert.equal(outcome.messages[0]?.messages[0]?.version?.tag, "v0.1.0");
    const call = seen(VersionServiceService.version.path).at(-1);
    assert.equal(call?.roles, "os:reader");
    assert.deepEqual(call?.metadata.get("x-request-id"), ["r-1"], "the caller's own metadata passes through");
  });

  test("the client's deadline reaches machined", async () => {
    const before = Date.now();
    await callApid(apid.address, as("reader"), VersionServiceService.version, {
      request: VersionRequest.create(),
      deadlineMs: 3_000,
    });
    const deadline = Number(seen(VersionServiceService.version.path).at(-1)?.deadline);
    assert.ok(Number.isFinite(deadline), "machined sees a deadline");
    assert.ok(
      deadline > before && deadline <= before + 3_100,
      `deadline ${deadline - before} ms from the call`,
    );
  });

  test("a reader's Reboot is refused and never reaches machined; an operator's goes through", async () => {
    const refused = await callApid(apid.address, as("reader"), MachineServiceService.reboot, {
      request: RebootRequest.create(),
    });
    assert.equal(refused.ok, false);
    assert.equal(!refused.ok && refused.error.code, status.PERMISSION_DENIED);
    assert.match(!refused.ok ? refused.error.details : "", /Reboot needs os:admin or os:operator/);
    assert.equal(seen(MachineServiceService.reboot.path).length, 0);

    const allowed = await callApid(apid.address, as("operator"), MachineServiceService.reboot, {
      request: RebootRequest.create(),
    });
    assert.ok(allowed.ok);
    assert.equal(allowed.messages[0]?.messages[0]?.actorId, "reboot-1");
    assert.equal(seen(MachineServiceService.reboot.path).length, 1);
  });

  test("a reader cannot claim roles by sending the forwarded-roles header: machined sees its own", async () => {
    const outcome = await callApid(apid.address, as("reader"), MachineServiceService.reboot, {
      request: RebootRequest.create(),
      metadata: { [FORWARDED_ROLES_METADATA_KEY]: "os:admin" },
    });
    assert.equal(!outcome.ok && outcome.error.code, status.PERMISSION_DENIED);
    await callApid(apid.address, as("reader"), VersionServiceService.version, {
      request: VersionRequest.create(),
      metadata: { [FORWARDED_ROLES_METADATA_KEY]: "os:admin", "x-stele-roles": "os:admin" },
    });
    const call = seen(VersionServiceService.version.path).at(-1);
    assert.equal(call?.roles, "os:reader");
    assert.deepEqual(call?.metadata.get(FORWARDED_ROLES_METADATA_KEY), []);
  });

  test(`a Logs stream of ${LOG_CHUNKS} chunks arrives complete and in order`, async () => {
    const outcome = await callApid<LogsRequest, LogsResponse>(
      apid.address,
      as("reader"),
      MachineServiceService.logs,
      {
        request: LogsRequest.fromPartial({ id: "etcd" }),
      },
    );
    assert.ok(outcome.ok, outcome.ok ? "" : outcome.error.message);
    const lines = outcome.messages.map((message) => message.bytes.toString());
    assert.equal(lines.length, LOG_CHUNKS);
    assert.deepEqual(
      lines,
      Array.from({ length: LOG_CHUNKS }, (_, i) => `line ${i}\n`),
    );
  });

  test("a client that stops reading stops machined's stream too, and gets every chunk once it reads again", async () => {
    const { stream, client } = openStream(apid.address, as("reader"), MachineServiceService.dmesg, {
      follow: false,
      tail: false,
    } as never);
    let received = 0;
    const done = new Promise<void>((resolve, reject) => {
      stream.on("end", resolve);
      stream.on("error", reject);
    });
    stream.on("data", () => {
      received++;
      if (received === 1) stream.pause();
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const sentWhilePaused = machined.dmesgSent();
    assert.ok(
      sentWhilePaused < DMESG_CHUNKS / 2,
      `machined produced ${sentWhilePaused} of ${DMESG_CHUNKS} chunks while the client read none`,
    );
    stream.resume();
    await done;
    client.close();
    assert.equal(received, DMESG_CHUNKS);
  });

  test("a client's cancel of a stream cancels the call to machined", async () => {
    const { stream, client } = openStream(apid.address, as("reader"), MachineServiceService.events, {
      tailEvents: 0,
      tailId: "",
      tailSeconds: 0,
      withActorId: "",
    } as never);
    const ended = new Promise<ServiceError>((resolve) => stream.on("error", resolve));
    stream.on("data", () => {});
    await machined.eventsStarted;
    stream.cancel();
    assert.equal((await ended).code, status.CANCELLED);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      machined.eventsCancelled,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("machined never saw the cancel")), 3_000);
      }),
    ]).finally(() => clearTimeout(timer));
    client.close();
  });

  test("machined's error reaches the client with the same code, message and hint", async () => {
    const outcome = await callApid(apid.address, as("reader"), MachineServiceService.serviceList, {
      request: ServiceListRequest.create(),
    });
    assert.equal(outcome.ok, false);
    if (outcome.ok) return;
    assert.equal(outcome.error.code, status.FAILED_PRECONDITION);
    assert.equal(outcome.error.details, "Service etcd is not running");
    assert.deepEqual(outcome.error.metadata.get(HINT_METADATA_KEY), [STAND_IN_HINT]);
  });

  describe("sensitive resource types", () => {
    const get = (who: "admin" | "reader", type: string) =>
      callApid(apid.address, as(who), ResourceServiceService.get, {
        request: GetRequest.fromPartial({ type, id: "v1" }),
      });

    test("a reader's Get of a sensitive type, by name or alias, is refused before machined", async () => {
      const before = seen(ResourceServiceService.get.path).length;
      for (const type of [SENSITIVE_TYPE, SENSITIVE_ALIAS, SENSITIVE_ALIAS.toUpperCase()]) {
        const outcome = await get("reader", type);
        assert.equal(!outcome.ok && outcome.error.code, status.PERMISSION_DENIED, type);
        assert.equal(
          !outcome.ok && outcome.error.details,
          `Resource type ${SENSITIVE_TYPE} holds secrets: readable by os:admin only`,
        );
        assert.equal(!outcome.ok && outcome.error.metadata.get(HINT_METADATA_KEY).length, 1);
      }
      assert.equal(seen(ResourceServiceService.get.path).length, before);
    });

    test("a reader may Get a plain type and an admin a sensitive one; definitions are asked for once", async () => {
      const plain = await get("reader", PLAIN_TYPE);
      assert.ok(plain.ok);
      assert.equal(plain.messages[0]?.messages[0]?.resource?.metadata?.type, PLAIN_TYPE);
      const secret = await get("admin", SENSITIVE_TYPE);
      assert.ok(secret.ok);
      assert.equal(secret.messages[0]?.messages[0]?.resource?.metadata?.type, SENSITIVE_TYPE);
      assert.equal(seen(ResourceServiceService.resourceDefinitions.path).length, 1);
    });
  });
});
