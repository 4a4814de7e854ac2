import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type ServerUnaryCall, type ServerWritableStream, type sendUnaryData, status } from "@grpc/grpc-js";
import { SteleError } from "../../machinery/errors.ts";
import { serverCredentials } from "../../machinery/grpc/server-credentials.ts";
import { authorize as rbacAuthorize } from "../../machinery/role/rbac.ts";
import type { Role } from "../../machinery/role/roles.ts";
import { type Authorizer, authorizeCall } from "./authorize-call.ts";
import {
  type CallOutcome,
  call,
  channelCredentials,
  type EdgePki,
  generateEdgePki,
  type RunningServer,
  SERVICE,
  startServer,
  testService,
} from "./edge-test-fixture.ts";
import { FORWARDED_ROLES_METADATA_KEY } from "./forwarded-roles.ts";
import { selfSignedServerIdentity } from "./self-signed-server-identity.ts";
import { HINT_METADATA_KEY } from "./to-grpc-status.ts";

// A small table of the tests' own, so these tests pin the edge's behaviour, not rbac.ts's choices.
const TABLE: Readonly<Record<string, readonly Role[]>> = {
  [`${SERVICE}/Version`]: ["os:admin", "os:operator", "os:reader", "os:etcd:backup"],
  [`${SERVICE}/Reboot`]: ["os:operator", "os:admin"],
  [`${SERVICE}/Logs`]: ["os:admin", "os:operator", "os:reader"],
  [`${SERVICE}/Fail`]: ["os:admin"],
};
const tableAuthorizer: Authorizer = (method, roles) => {
  const required = TABLE[method] ?? ["os:admin"];
  return { allowed: roles.some((role) => required.includes(role)), required };
};

/** The service's handlers; `ran` records which ones actually ran, to prove a refusal stops them. */
function implementation(ran: string[]) {
  return {
    Version: (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      ran.push("Version");
      callback(null, { version: "0.1.0" });
    },
    Reboot: (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      ran.push("Reboot");
      callback(null, { rebooting: true });
    },
    Logs: (stream: ServerWritableStream<{ service?: string }, unknown>) => {
      ran.push("Logs");
      if (stream.request.service === "missing") {
        stream.emit(
          "error",
          new SteleError("not-found", 'Service not found: "missing"', "List services with stelectl services"),
        );
        return;
      }
      stream.write({ line: "one" });
      stream.write({ line: "two" });
      stream.end();
    },
    Fail: async () => {
      ran.push("Fail");
      throw new SteleError("busy", "Node busy: an upgrade is running", "Wait for the upgrade to finish");
    },
  };
}

function refusal(outcome: CallOutcome): { code: number; details: string; hint: unknown } {
  assert.equal(outcome.ok, false, "the call must fail");
  if (outcome.ok) throw new Error("unreachable");
  return {
    code: outcome.error.code,
    details: outcome.error.details,
    hint: outcome.error.metadata?.get(HINT_METADATA_KEY)[0],
  };
}

describe("authorizeCall over real mutual TLS", () => {
  let pki: EdgePki;
  const ran: string[] = [];
  const warnings: string[] = [];
  let strict: RunningServer;
  let lenient: RunningServer;
  let real: RunningServer;

  before(async () => {
    pki = await generateEdgePki();
    const tls = () =>
      serverCredentials({
        ca: pki.ca.crt,
        crt: pki.server.crt,
        key: pki.server.key,
        requireClientCert: true,
      });
    const logger = { warn: (_fields: Record<string, unknown>, message: string) => warnings.push(message) };
    strict = await startServer(
      tls(),
      authorizeCall(testService, implementation(ran), { authorize: tableAuthorizer, logger }),
    );
    lenient = await startServer(
      tls(),
      authorizeCall(testService, implementation([]), { authorize: tableAuthorizer, checkExtKeyUsage: false }),
    );
    // The table of src/machinery/role/rbac.ts; the test service shares MachineService's paths.
    real = await startServer(
      tls(),
      authorizeCall(testService, implementation([]), { authorize: rbacAuthorize }),
    );
  });
  after(() => {
    strict.close();
    lenient.close();
    real.close();
  });

  const as = (name: keyof EdgePki) => channelCredentials(pki.ca.crt, pki[name]);

  test("an admin certificate may reboot", async () => {
    ran.length = 0;
    assert.deepEqual(await call(strict.port, as("admin"), "Reboot"), {
      ok: true,
      messages: [{ rebooting: true }],
    });
    assert.deepEqual(ran, ["Reboot"]);
  });

  test("a reader may read (unary and server-streaming)", async () => {
    assert.deepEqual(await call(strict.port, as("reader"), "Version"), {
      ok: true,
      messages: [{ version: "0.1.0" }],
    });
    assert.deepEqual(await call(strict.port, as("reader"), "Logs"), {
      ok: true,
      messages: [{ line: "one" }, { line: "two" }],
    });
  });

  test("a reader may not reboot: PERMISSION_DENIED names the method and the roles needed, and the handler never runs", async () => {
    ran.length = 0;
    assert.deepEqual(refusal(await call(strict.port, as("reader"), "Reboot")), {
      code: status.PERMISSION_DENIED,
      details: `Permission denied: ${SERVICE}/Reboot needs os:operator or os:admin, the client certificate has os:reader`,
      hint: "Use a client configuration with one of the needed roles (an admin mints one with stelectl config new --roles)",
    });
    assert.deepEqual(ran, []);
  });

  test("a server-streaming method is guarded too: a certificate without any role is refused", async () => {
    const outcome = refusal(await call(strict.port, as("impersonator"), "Logs"));
    assert.equal(outcome.code, status.PERMISSION_DENIED);
    assert.equal(
      outcome.details,
      `Permission denied: ${SERVICE}/Logs needs os:admin, os:operator or os:reader, the client certificate has no role`,
    );
  });

  test("a leaf without ExtKeyUsage clientAuth is UNAUTHENTICATED, unless apidCheckExtKeyUsage is off", async () => {
    const outcome = refusal(await call(strict.port, as("noExtKeyUsage"), "Version"));
    assert.equal(outcome.code, status.UNAUTHENTICATED);
    assert.equal(
      outcome.details,
      'Unauthenticated: the client certificate "old-client" lacks ExtKeyUsage clientAuth',
    );
    assert.match(String(outcome.hint), /issued by this cluster's OS CA/);
    assert.deepEqual(await call(lenient.port, as("noExtKeyUsage"), "Version"), {
      ok: true,
      messages: [{ version: "0.1.0" }],
    });
  });

  test("forwarded roles from an os:impersonator peer are used instead of the peer's own", async () => {
    const metadata = { [FORWARDED_ROLES_METADATA_KEY]: "os:operator" };
    assert.deepEqual(await call(strict.port, as("impersonator"), "Reboot", { metadata }), {
      ok: true,
      messages: [{ rebooting: true }],
    });
  });

  test("forwarded roles are only the valid ones, and the message says they were forwarded", async () => {
    const metadata = { [FORWARDED_ROLES_METADATA_KEY]: "os:reader, os:superuser" };
    warnings.length = 0;
    assert.equal(
      refusal(await call(strict.port, as("impersonator"), "Reboot", { metadata })).details,
      `Permission denied: ${SERVICE}/Reboot needs os:operator or os:admin, the forwarded client has os:reader`,
    );
    assert.deepEqual(warnings, ["Dropped unknown forwarded roles: os:superuser", "Permission denied"]);
  });

  test("forwarded roles from a peer without os:impersonator are ignored and logged", async () => {
    const metadata = { [FORWARDED_ROLES_METADATA_KEY]: "os:admin" };
    warnings.length = 0;
    assert.equal(
      refusal(await call(strict.port, as("reader"), "Reboot", { metadata })).details,
      `Permission denied: ${SERVICE}/Reboot needs os:operator or os:admin, the client certificate has os:reader`,
    );
    assert.deepEqual(warnings, [
      "Ignored x-stele-forwarded-roles: the client certificate does not carry os:impersonator",
      "Permission denied",
    ]);
  });

  test("a handler's SteleError reaches the client as its gRPC status with the hint (unary, async)", async () => {
    assert.deepEqual(refusal(await call(strict.port, as("admin"), "Fail")), {
      code: status.ABORTED,
      details: "Node busy: an upgrade is running",
      hint: "Wait for the upgrade to finish",
    });
  });

  test("a stream's SteleError reaches the client as its gRPC status with the hint", async () => {
    assert.deepEqual(
      refusal(await call(strict.port, as("reader"), "Logs", { request: { service: "missing" } })),
      {
        code: status.NOT_FOUND,
        details: 'Service not found: "missing"',
        hint: "List services with stelectl services",
      },
    );
  });

  test("wired to rbac.ts: a reader may stream logs but not reboot, an operator may reboot", async () => {
    assert.equal((await call(real.port, as("reader"), "Logs")).ok, true);
    assert.equal(
      refusal(await call(real.port, as("reader"), "Reboot")).details,
      `Permission denied: ${SERVICE}/Reboot needs os:admin or os:operator, the client certificate has os:reader`,
    );
    assert.equal((await call(real.port, as("operator"), "Reboot")).ok, true);
    // A method missing from the table is admin-only.
    assert.equal(refusal(await call(real.port, as("operator"), "Fail")).code, status.PERMISSION_DENIED);
  });
});

describe("authorizeCall in maintenance mode", () => {
  let server: RunningServer;
  let crt: string;

  before(async () => {
    const identity = await selfSignedServerIdentity({ hostnames: ["localhost"], ips: ["127.0.0.1"] });
    crt = identity.crt;
    server = await startServer(
      serverCredentials({ ca: [], crt: identity.crt, key: identity.key, requireClientCert: false }),
      authorizeCall(testService, implementation([]), {
        authorize: tableAuthorizer,
        maintenance: { allowedMethods: new Set([`${SERVICE}/Version`]) },
      }),
    );
  });
  after(() => server.close());

  test("serves the allowed methods to a client without a certificate", async () => {
    assert.deepEqual(await call(server.port, channelCredentials(crt), "Version"), {
      ok: true,
      messages: [{ version: "0.1.0" }],
    });
  });

  test("refuses every other method with PERMISSION_DENIED naming it", async () => {
    const outcome = refusal(await call(server.port, channelCredentials(crt), "Reboot"));
    assert.equal(outcome.code, status.PERMISSION_DENIED);
    assert.equal(outcome.details, `Permission denied: ${SERVICE}/Reboot is not served in maintenance mode`);
  });
});

describe("authorizeCall without a verified certificate", () => {
  let server: RunningServer;
  let pki: EdgePki;

  before(async () => {
    pki = await generateEdgePki();
    // A server that (wrongly) does not demand client certificates: the wrapper must still refuse.
    server = await startServer(
      serverCredentials({
        ca: pki.ca.crt,
        crt: pki.server.crt,
        key: pki.server.key,
        requireClientCert: false,
      }),
      authorizeCall(testService, implementation([]), { authorize: tableAuthorizer }),
    );
  });
  after(() => server.close());

  test("answers UNAUTHENTICATED, so a mis-set transport cannot open the API", async () => {
    const outcome = refusal(await call(server.port, channelCredentials(pki.ca.crt), "Version"));
    assert.equal(outcome.code, status.UNAUTHENTICATED);
    assert.equal(outcome.details, "Unauthenticated: the connection presented no verified client certificate");
  });
});
