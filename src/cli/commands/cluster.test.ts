import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { selfSignedServerIdentity, serverCredentials, toGrpcStatus } from "../../app/apid/index.ts";
import { SteleError } from "../../machinery/errors.ts";
import {
  type ClientTestPki,
  type FakeApid,
  generateClientTestPki,
  makeConfigDir,
  runStelectl,
  startFakeApid,
} from "../client/fake-apid-fixture.ts";
import { connectClusterNodes } from "./cluster.ts";

let pki: ClientTestPki;
let node: FakeApid;
let maintenance: FakeApid;
let fingerprint: string;
const calls: string[] = [];
const configs = makeConfigDir();

before(async () => {
  pki = await generateClientTestPki();
  let bootstraps = 0;
  node = await startFakeApid(
    {
      version: {
        version: (_call, callback) =>
          callback(null, {
            messages: [{ metadata: { hostname: "cp1" }, version: { tag: "v0.1.0" } }],
          } as never),
      },
      machine: {
        bootstrap: (_call, callback) => {
          calls.push("bootstrap");
          if (++bootstraps > 1) {
            callback(
              toGrpcStatus(
                new SteleError("failed-precondition", "etcd is already bootstrapped on this node"),
              ),
            );
            return;
          }
          callback(null, { messages: [{ metadata: { hostname: "cp1" } }] } as never);
        },
      },
      resource: {
        get: (call, callback) => {
          calls.push(`get ${call.request.type}/${call.request.id}`);
          const yaml =
            "stage: booting\nready: false\nunmetConditions:\n  - name: etcd\n    reason: not started\n";
          callback(null, {
            messages: [{ metadata: { hostname: "cp1" }, resource: { spec: { yaml: Buffer.from(yaml) } } }],
          } as never);
        },
      },
    },
    { pki },
  );
  const identity = await selfSignedServerIdentity({ ips: ["127.0.0.1"] });
  fingerprint = identity.fingerprint;
  maintenance = await startFakeApid(
    {
      machine: {
        applyConfiguration: (call, callback) => {
          calls.push(`apply ${call.request.data.toString()} ${call.request.mode}`);
          callback(null, {
            messages: [
              {
                metadata: { hostname: "w1" },
                warnings: [],
                mode: "APPLY_MODE_REBOOT",
                modeDetails: "",
                diff: "",
              },
            ],
          } as never);
        },
      },
    },
    {
      pki,
      credentials: serverCredentials({
        ca: [],
        crt: identity.crt,
        key: identity.key,
        requireClientCert: false,
      }),
    },
  );
});

after(async () => {
  await node?.close();
  await maintenance?.close();
  configs.remove();
});

describe("the node API of cluster create, over the CLI's client code", () => {
  const context = () => ({
    endpoints: [node.address],
    nodes: [],
    ca: pki.ca.crt,
    crt: pki.admin.crt,
    key: pki.admin.key,
  });

  test("Version, Bootstrap and MachineStatus over mutual TLS", async () => {
    const api = connectClusterNodes(context());
    try {
      assert.equal(await api.version(node.address), "v0.1.0");
      await api.bootstrap(node.address);
      assert.deepEqual(await api.machineStatus(node.address), {
        stage: "booting",
        ready: false,
        unmet: ["etcd (not started)"],
      });
      await assert.rejects(api.bootstrap(node.address), { code: "failed-precondition" });
    } finally {
      api.close();
    }
  });

  test("a node of another cluster is refused, not trusted", async () => {
    const api = connectClusterNodes({ ...context(), ca: pki.otherCa.crt });
    try {
      await assert.rejects(api.version(node.address), { code: "unauthenticated" });
    } finally {
      api.close();
    }
  });

  test("maintenance mode: applied only to the node whose certificate has the console's fingerprint", async () => {
    const api = connectClusterNodes(context());
    try {
      const wrong = Array.from({ length: 32 }, () => "00").join(":");
      await assert.rejects(
        api.applyConfigInsecure(maintenance.address, { fingerprint: wrong, config: Buffer.from("a") }),
        {
          code: "unauthenticated",
        },
      );
      assert.ok(!calls.some((c) => c.startsWith("apply")), "nothing is sent to an unpinned node");
      await api.applyConfigInsecure(maintenance.address, {
        fingerprint,
        config: Buffer.from("worker config"),
      });
      assert.ok(calls.includes("apply worker config APPLY_MODE_AUTO"));
    } finally {
      api.close();
    }
  });

  test("an address where nothing listens is unavailable (create retries those)", async () => {
    const api = connectClusterNodes(context());
    try {
      await assert.rejects(api.version("127.0.0.1:1"), { code: "unavailable" });
      await assert.rejects(api.applyConfigInsecure("127.0.0.1:1", { fingerprint, config: Buffer.from("") }), {
        code: "unavailable",
      });
    } finally {
      api.close();
    }
  });
});

describe("stelectl cluster", () => {
  test("create refuses bad flags before making anything, naming the flag and the value", async () => {
    const run = await runStelectl(["cluster", "create", "--workers", "two", "--state-dir", "/nonexistent/x"]);
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      'error: Invalid --workers "two": expected a whole number of at least 0\nhint: e.g. --workers 0\n',
    );
  });

  test("create refuses a patch that cannot be read", async () => {
    const run = await runStelectl(["cluster", "create", "--config-patch", "@/nonexistent/patch.yaml"]);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /^error: Cannot read patch file of --config-patch "\/nonexistent\/patch\.yaml": no such file/,
    );
  });

  test("show of a cluster that does not exist says how to create one", async () => {
    const run = await runStelectl([
      "cluster",
      "show",
      "--name",
      "absent",
      "--state-dir",
      configs.writeText("x", "") + ".d",
    ]);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /^error: No cluster absent: .* has no cluster\.json\nhint: create one with `stelectl cluster create`/,
    );
  });
});
