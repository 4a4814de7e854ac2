/**
 * `stelectl config new` without --with-secrets or --from-config: the real CLI asks the first node
 * of the current context (a fake apid over real mutual TLS) to mint, and writes what it returns.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { toGrpcStatus } from "../../app/apid/index.ts";
import type { GenerateClientConfigurationRequest } from "../../machinery/api/machine/v1alpha1/machine.ts";
import { mintClientConfig, parseClientConfig, serializeClientConfig } from "../../machinery/client/index.ts";
import { SteleError } from "../../machinery/errors.ts";
import { inspectCertificate, verifyIssuedBy } from "../../machinery/pki/index.ts";
import { parseRoles } from "../../machinery/role/roles.ts";
import {
  type ClientTestPki,
  type ConfigDir,
  type FakeApid,
  generateClientTestPki,
  makeConfigDir,
  runStelectl,
  startFakeApid,
} from "../client/fake-apid-fixture.ts";

let pki: ClientTestPki;
let apid: FakeApid;
let configs: ConfigDir;
let calls: { node: string; request: GenerateClientConfigurationRequest }[] = [];
/** What the fake node put in its last reply's stelectlconfig. */
let lastReply = "";

before(async () => {
  pki = await generateClientTestPki();
  configs = makeConfigDir();
  apid = await startFakeApid(
    {
      machine: {
        generateClientConfiguration: (call, callback) => {
          const node = call.metadata.get("x-stele-node")[0]?.toString() ?? "";
          calls.push({ node, request: call.request });
          if (node === "worker-1") {
            callback(
              toGrpcStatus(
                new SteleError(
                  "failed-precondition",
                  "Only a control plane can mint client configs: this worker holds no OS CA key",
                  "Send the request to a control-plane node",
                ),
              ),
              null,
            );
            return;
          }
          const ttl = call.request.crtTtl;
          // A node that knows no endpoint answers with none: the CLI keeps the context's.
          const endpoints = node === "cp-blank" ? [] : ["10.5.0.2"];
          mintClientConfig({
            osCA: pki.ca,
            roles: parseRoles(call.request.roles),
            ttlMs: ttl ? Number(ttl.seconds) * 1000 : undefined,
            contextName: "demo",
            endpoints,
          }).then((config) => {
            const context = config.contexts.demo!;
            lastReply = serializeClientConfig(config);
            callback(null, {
              messages: [
                {
                  metadata: { hostname: node },
                  ca: Buffer.from(context.ca),
                  crt: Buffer.from(context.crt),
                  key: Buffer.from(context.key),
                  stelectlconfig: Buffer.from(lastReply),
                },
              ],
            });
          }, callback);
        },
      },
    },
    { pki },
  );
});

after(async () => {
  await apid.close();
  configs.remove();
});

beforeEach(() => {
  calls = [];
  lastReply = "";
});

const adminConfig = (nodes: string[]) =>
  configs.write(`admin-${nodes.join("-")}.cfg`, {
    endpoints: [apid.address],
    nodes,
    ca: pki.ca.crt,
    crt: pki.admin.crt,
    key: pki.admin.key,
  });

let outputs = 0;
/** A path in the test's directory that does not exist yet. */
const freshPath = () => join(dirname(configs.writeText("marker", "")), `out-${++outputs}.cfg`);

describe("config new, minted by a node", () => {
  test("writes the returned config (mode 0600), asking only the first node, with the roles and TTL given", async () => {
    const fresh = freshPath();
    const run = await runStelectl([
      "--stelectlconfig",
      adminConfig(["cp-1", "cp-2"]),
      "config",
      "new",
      fresh,
      "--roles",
      "os:reader",
      "--ttl",
      "720h",
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      calls.map((c) => c.node),
      ["cp-1"],
    );
    assert.deepEqual(calls[0]?.request.roles, ["os:reader"]);
    assert.equal(calls[0]?.request.crtTtl?.seconds, 720n * 3600n);
    assert.equal(statSync(fresh).mode & 0o777, 0o600);
    const written = parseClientConfig(readFileSync(fresh, "utf8"), { file: fresh });
    const returned = parseClientConfig(lastReply, { file: "reply" });
    assert.equal(written.context, "demo");
    // The node's identity and endpoint as returned; its empty node list replaced by the context's.
    assert.deepEqual(written.contexts.demo, { ...returned.contexts.demo, nodes: ["cp-1", "cp-2"] });
    const info = inspectCertificate(written.contexts.demo!.crt);
    assert.deepEqual(info.organizations, ["os:reader"]);
    assert.ok(verifyIssuedBy(written.contexts.demo!.crt, pki.ca.crt));
    assert.match(run.stderr, /minted by node cp-1/);
  });

  test("a reply without endpoints keeps the current context's", async () => {
    const fresh = freshPath();
    const run = await runStelectl([
      "--stelectlconfig",
      adminConfig(["cp-blank"]),
      "config",
      "new",
      fresh,
      "--roles",
      "os:operator",
    ]);
    assert.equal(run.code, 0, run.stderr);
    const written = parseClientConfig(readFileSync(fresh, "utf8"), { file: fresh });
    assert.deepEqual(written.contexts.demo?.endpoints, [apid.address]);
    assert.deepEqual(written.contexts.demo?.nodes, ["cp-blank"]);
  });

  test("an existing output is refused before the node is asked, and left as it was", async () => {
    const out = freshPath();
    writeFileSync(out, "mine\n");
    const run = await runStelectl(["--stelectlconfig", adminConfig(["cp-1"]), "config", "new", out]);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /Refusing to overwrite/);
    assert.deepEqual(calls, []);
    assert.equal(readFileSync(out, "utf8"), "mine\n");
  });

  test("--force replaces an existing output", async () => {
    const out = freshPath();
    writeFileSync(out, "mine\n");
    const run = await runStelectl([
      "--stelectlconfig",
      adminConfig(["cp-1"]),
      "config",
      "new",
      out,
      "--force",
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(readFileSync(out, "utf8").includes("BEGIN CERTIFICATE"), true);
    assert.equal(statSync(out).mode & 0o777, 0o600);
  });

  test("a worker's refusal is printed with its node and hint, and nothing is written", async () => {
    const fresh = freshPath();
    const run = await runStelectl(["--stelectlconfig", adminConfig(["worker-1"]), "config", "new", fresh]);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /node worker-1: .*Only a control plane can mint client configs/);
    assert.match(run.stderr, /control-plane node/);
    assert.equal(existsSync(fresh), false);
  });

  test("an unknown role is refused before any node is asked", async () => {
    const fresh = freshPath();
    const run = await runStelectl([
      "--stelectlconfig",
      adminConfig(["cp-1"]),
      "config",
      "new",
      fresh,
      "--roles",
      "os:root",
    ]);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /Unknown role "os:root"/);
    assert.deepEqual(calls, []);
  });
});
