/**
 * The generated API code does what its callers rely on: messages survive the wire, the service is
 * exposed under its full method path, and a real grpc-js server and the generated client talk to each
 * other. The `*.test.ts` files are the only hand-written files in this directory; `npm run gen` regenerates
 * the rest and leaves them be.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import { credentials, Server, ServerCredentials, type ServiceError } from "@grpc/grpc-js";
import fc from "fast-check";
import { ErrorCode } from "./common/v1alpha1/common.ts";
import {
  PlatformMode,
  type VersionReply,
  VersionRequest,
  VersionResponse,
  VersionServiceClient,
  type VersionServiceServer,
  VersionServiceService,
} from "./machine/v1alpha1/version.ts";

const reply: VersionReply = {
  metadata: { hostname: "cp-1" },
  version: {
    tag: "v0.1.0",
    sha: "0123456789abcdef0123456789abcdef01234567",
    built: new Date("2025-01-02T03:04:05.678Z"),
    nodeVersion: "v24.21.0",
    os: "linux",
    arch: "x64",
  },
  platform: { name: "container", mode: PlatformMode.PLATFORM_MODE_CONTAINER },
};

const failed: VersionReply = {
  metadata: {
    hostname: "worker-2",
    error: {
      code: ErrorCode.ERROR_CODE_BUSY,
      message: "Node is busy: an upgrade is running",
      hint: "wait for the upgrade to finish, then retry",
      details: [{ typeUrl: "type.googleapis.com/stele.common.v1alpha1.Error", value: Buffer.from([8, 1]) }],
      retryAfter: { seconds: 30n, nanos: 500 },
    },
  },
};

describe("generated messages", () => {
  test("a VersionResponse of two nodes, one failed, survives encode and decode", () => {
    const response = VersionResponse.create({ messages: [reply, failed] });
    const decoded = VersionResponse.decode(VersionResponse.encode(response).finish());
    assert.deepEqual(decoded, response);
    assert.equal(decoded.messages[1]?.metadata?.error?.code, "ERROR_CODE_BUSY");
  });

  test("any VersionReply survives encode and decode", () => {
    const text = fc.string({ maxLength: 40 });
    const arbitraryReply = fc.record({
      metadata: fc.record({ hostname: text }),
      version: fc.record({
        tag: text,
        sha: text,
        // Timestamps become Dates, whose precision is a millisecond.
        built: fc.date({ min: new Date(0), max: new Date("2200-01-01T00:00:00Z"), noInvalidDate: true }),
        nodeVersion: text,
        os: text,
        arch: text,
      }),
      platform: fc.record({
        name: text,
        mode: fc.constantFrom(
          PlatformMode.PLATFORM_MODE_UNSPECIFIED,
          PlatformMode.PLATFORM_MODE_METAL,
          PlatformMode.PLATFORM_MODE_CONTAINER,
        ),
      }),
    });
    fc.assert(
      fc.property(fc.array(arbitraryReply, { maxLength: 5 }), (messages) => {
        const response = VersionResponse.create({ messages });
        assert.deepEqual(VersionResponse.decode(VersionResponse.encode(response).finish()), response);
      }),
    );
  });

  test("enums travel as their proto numbers, so other languages read them", () => {
    // Field 2 (mode), varint: tag byte 0x10, then 2 for PLATFORM_MODE_CONTAINER.
    const bytes = VersionResponse.encode({
      messages: [{ platform: { name: "", mode: PlatformMode.PLATFORM_MODE_CONTAINER } }],
    }).finish();
    assert.deepEqual([...bytes.slice(-2)], [0x10, 2]);
  });

  test("an enum number this code does not know decodes as UNRECOGNIZED instead of failing", () => {
    // messages { platform { mode: 99 } }
    const bytes = Uint8Array.of(0x0a, 0x04, 0x1a, 0x02, 0x10, 99);
    assert.equal(VersionResponse.decode(bytes).messages[0]?.platform?.mode, "UNRECOGNIZED");
  });

  test("ErrorCode has exactly one value per code of SteleError", async () => {
    // Read as text: generated code must not import the rest of machinery (dependency-cruiser).
    const source = await readFile(new URL("../errors.ts", import.meta.url), "utf8");
    const union = /export type ErrorCode =([^;]*);/.exec(source)?.[1];
    assert.ok(union, "errors.ts declares the ErrorCode union");
    const steleCodes = [...union.matchAll(/"([a-z-]+)"/g)].map((m) => m[1]!);
    const protoCodes = Object.values(ErrorCode)
      .filter((v) => v !== "ERROR_CODE_UNSPECIFIED" && v !== "UNRECOGNIZED")
      .map((v) => v.slice("ERROR_CODE_".length).toLowerCase().replaceAll("_", "-"));
    assert.deepEqual(protoCodes.sort(), steleCodes.sort());
  });
});

describe("generated VersionService", () => {
  test("its definition names the full gRPC method path", () => {
    assert.equal(VersionServiceService.version.path, "/stele.machine.v1alpha1.VersionService/Version");
    assert.equal(VersionServiceService.version.requestStream, false);
    assert.equal(VersionServiceService.version.responseStream, false);
    assert.equal(VersionServiceClient.serviceName, "stele.machine.v1alpha1.VersionService");
  });

  describe("over a real grpc-js server", () => {
    const server = new Server();
    let client: VersionServiceClient;
    let calls = 0;

    before(async () => {
      const implementation: VersionServiceServer = {
        version: (call, callback) => {
          calls++;
          assert.deepEqual(call.request, VersionRequest.create());
          callback(null, { messages: [reply] });
        },
      };
      server.addService(VersionServiceService, implementation);
      const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, p) =>
          error ? reject(error) : resolve(p),
        ),
      );
      client = new VersionServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
    });

    after(async () => {
      client?.close();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    });

    test("the generated client calls the handler and gets its reply back", async () => {
      const response = await new Promise<VersionResponse>((resolve, reject) =>
        client.version({}, (error: ServiceError | null, r: VersionResponse) =>
          error ? reject(error) : resolve(r),
        ),
      );
      assert.equal(calls, 1);
      assert.deepEqual(response, VersionResponse.create({ messages: [reply] }));
    });
  });
});
