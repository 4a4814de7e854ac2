/**
 * The health checks over the real API path: a fake apid (real grpc-js, mutual TLS 1.3, the generated
 * services) answering per node from `x-stele-node`, asked by runHealthChecks through
 * grpcHealthSource and by `stelectl health` as a user runs it.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Metadata, Server, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { stringify } from "yaml";
import { serverCredentials } from "../../app/apid/index.ts";
import { EtcdMemberListResponse, EtcdStatusResponse } from "../../machinery/api/machine/v1alpha1/etcd.ts";
import { MachineServiceService } from "../../machinery/api/machine/v1alpha1/machine.ts";
import { StatsServiceService, WatchStatsResponse } from "../../machinery/api/machine/v1alpha1/stats.ts";
import { VersionServiceService } from "../../machinery/api/machine/v1alpha1/version.ts";
import { type Resource, ResourceServiceService } from "../../machinery/api/resource/v1alpha1/resource.ts";
import {
  type ClientTestPki,
  type ConfigDir,
  generateClientTestPki,
  makeConfigDir,
  runStelectl,
} from "../client/fake-apid-fixture.ts";
import { formatHealthProgress } from "./format-health-progress.ts";
import { runHealthChecks } from "./run-health-checks.ts";

const CP = "10.5.0.2";
const WORKER = "10.5.0.5";
/** A worker whose clock runs 30 s ahead. */
const FAST_CLOCK = "10.5.0.6";
const hostnameOf = (node: string) => (node === CP ? "cp-1" : `worker-${node.split(".").at(-1)}`);

let pki: ClientTestPki;
let configs: ConfigDir;
let server: Server;
let address: string;
/** Which questions reached the fake, as `method node` ("endpoint" when no node was named). */
const asked: string[] = [];

function resource(type: string, id: string, spec: unknown): Resource {
  return {
    metadata: {
      namespace: "",
      type,
      id,
      version: 1n,
      phase: "PHASE_RUNNING",
      owner: "test",
      labels: {},
      finalizers: [],
    },
    spec: { yaml: Buffer.from(stringify(spec)) },
  };
}

before(async () => {
  pki = await generateClientTestPki();
  configs = makeConfigDir();
  server = new Server();
  const nodeOf = (call: { metadata: Metadata }, method: string): string => {
    const node = call.metadata.get("x-stele-node")[0]?.toString();
    asked.push(`${method} ${node ?? "endpoint"}`);
    return node ?? CP;
  };
  const add = (definition: object, implementation: object) =>
    server.addService(
      definition as Parameters<Server["addService"]>[0],
      implementation as UntypedServiceImplementation,
    );
  add(VersionServiceService, {
    version: (call: { metadata: Metadata }, callback: (e: null, r: unknown) => void) => {
      const node = nodeOf(call, "version");
      callback(null, { messages: [{ metadata: { hostname: hostnameOf(node) } }] });
    },
  });
  add(ResourceServiceService, {
    list: (call: { metadata: Metadata; request: { type: string }; write(m: unknown): void; end(): void }) => {
      const node = nodeOf(call, "list");
      if (call.request.type === "Members.cluster.stele.dev") {
        const members =
          node === CP
            ? [
                { hostname: "cp-1", machineType: "controlplane", addresses: [`${CP}/24`] },
                { hostname: "worker-5", machineType: "worker", addresses: [`${WORKER}/24`] },
              ]
            : [];
        for (const spec of members) {
          call.write({
            metadata: { hostname: hostnameOf(node) },
            resource: resource(call.request.type, spec.hostname, spec),
          });
        }
      }
      call.end();
    },
    get: (
      call: { metadata: Metadata; request: { type: string; id: string } },
      callback: (e: null, r: unknown) => void,
    ) => {
      const node = nodeOf(call, "get");
      const { type, id } = call.request;
      const spec =
        type === "MachineStatuses.runtime.stele.dev"
          ? { stage: "running", ready: true, unmetConditions: [] }
          : { synced: true, managed: false, time: new Date().toISOString(), message: "" };
      callback(null, {
        messages: [{ metadata: { hostname: hostnameOf(node) }, resource: resource(type, id, spec) }],
      });
    },
  });
  const cpMember = {
    id: 0x2an,
    hostname: "cp-1",
    peerUrls: [],
    clientUrls: [`https://${CP}:2379`],
    isLearner: false,
  };
  add(MachineServiceService, {
    etcdStatus: (call: { metadata: Metadata }, callback: (e: null, r: unknown) => void) => {
      const node = nodeOf(call, "etcdStatus");
      callback(
        null,
        EtcdStatusResponse.fromPartial({
          messages: [
            { metadata: { hostname: hostnameOf(node) }, memberStatus: { memberId: 0x2an, errors: [] } },
          ],
        }),
      );
    },
    etcdMemberList: (call: { metadata: Metadata }, callback: (e: null, r: unknown) => void) => {
      const node = nodeOf(call, "etcdMemberList");
      callback(
        null,
        EtcdMemberListResponse.fromPartial({
          messages: [{ metadata: { hostname: hostnameOf(node) }, members: [cpMember] }],
        }),
      );
    },
  });
  add(StatsServiceService, {
    watchStats: (call: {
      metadata: Metadata;
      write(m: unknown): void;
      on(e: string, f: () => void): void;
    }) => {
      const node = nodeOf(call, "watchStats");
      const skew = node === FAST_CLOCK ? 30_000 : 0;
      // A real node keeps sampling until cancelled; so does this one.
      const sample = () =>
        WatchStatsResponse.fromPartial({
          metadata: { hostname: hostnameOf(node) },
          time: new Date(Date.now() + skew),
        });
      const timer = setInterval(() => call.write(sample()), 20);
      call.write(sample());
      call.on("cancelled", () => clearInterval(timer));
      call.on("close", () => clearInterval(timer));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      "127.0.0.1:0",
      serverCredentials({
        ca: pki.ca.crt,
        crt: pki.server.crt,
        key: pki.server.key,
        requireClientCert: true,
      }),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    ),
  );
  address = `127.0.0.1:${port}`;
});

after(() => {
  server.forceShutdown();
  configs.remove();
});

describe("health over the API", () => {
  test("discovers the nodes from the endpoint's members and asks each one through apid", async () => {
    asked.length = 0;
    const printed: string[] = [];
    const report = await runHealthChecks({
      context: { ca: pki.ca.crt, crt: pki.admin.crt, key: pki.admin.key, endpoints: [address], nodes: [] },
      timeoutMs: 5_000,
      retryIntervalMs: 50,
      onProgress: (event) => printed.push(formatHealthProgress(event)),
    });
    assert.equal(report.ok, true, printed.join(""));
    assert.deepEqual(report.nodes, [
      { address: CP, machineType: "controlplane" },
      { address: WORKER, machineType: "worker" },
    ]);
    assert.ok(asked.includes("list endpoint"), "Members come from the endpoint itself");
    for (const question of [
      `version ${WORKER}`,
      `get ${WORKER}`,
      `watchStats ${WORKER}`,
      `etcdStatus ${CP}`,
      `etcdMemberList ${CP}`,
    ]) {
      assert.ok(asked.includes(question), `asked: ${question}`);
    }
    assert.equal(asked.includes(`etcdStatus ${WORKER}`), false);
  });

  test("`stelectl health` prints each check and exits 0 when the cluster is healthy", async () => {
    const config = configs.write("healthy", {
      endpoints: [address],
      ca: pki.ca.crt,
      crt: pki.admin.crt,
      key: pki.admin.key,
    });
    const run = await runStelectl([
      "--stelectlconfig",
      config,
      "health",
      "--control-plane-nodes",
      CP,
      "--worker-nodes",
      WORKER,
      "--wait-timeout",
      "20s",
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^discovered nodes: control plane: 10\.5\.0\.2; worker: 10\.5\.0\.5\n/);
    assert.match(
      run.stdout,
      /waiting for etcd members to be consistent across control planes and to match them: OK/,
    );
    assert.match(run.stdout, /\nSKIP kubernetes: /);
  });

  test("`stelectl health` exits non-zero naming the failing check when a clock is off", async () => {
    const config = configs.write("skewed", {
      endpoints: [address],
      ca: pki.ca.crt,
      crt: pki.admin.crt,
      key: pki.admin.key,
    });
    const run = await runStelectl([
      "--stelectlconfig",
      config,
      "health",
      "--control-plane-nodes",
      CP,
      "--worker-nodes",
      `${WORKER},${FAST_CLOCK}`,
      "--wait-timeout",
      "1s",
    ]);
    assert.equal(run.code, 1);
    assert.match(
      run.stdout,
      /waiting for the nodes' clocks to be within 5 s of this machine's: FAILED after/,
    );
    assert.match(
      run.stderr,
      /^error: Cluster not healthy: time \(10\.5\.0\.6: its clock is (29|30)\.\d s ahead of this machine's\)\n/,
    );
    assert.match(run.stderr, /hint: /);
  });
});
