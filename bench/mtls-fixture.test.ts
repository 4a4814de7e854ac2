import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { type ConnectionOptions, connect } from "node:tls";
import { makeGenericClientConstructor, Server, type ServiceError } from "@grpc/grpc-js";
import {
  generateMtlsFixture,
  type MtlsFixture,
  tls13ChannelCredentials,
  tls13ServerCredentials,
} from "./mtls-fixture.ts";

const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

interface Handshake {
  protocol: string | null;
  error: string | undefined;
}

/** Connects with raw TLS, as any client could, and reports the protocol and how the server answered. */
function handshake(port: number, fixture: MtlsFixture, options: ConnectionOptions): Promise<Handshake> {
  return new Promise((resolve) => {
    let protocol: string | null = null;
    let error: string | undefined;
    const socket = connect({
      host: "127.0.0.1",
      port,
      ca: fixture.ca,
      servername: "localhost",
      ALPNProtocols: ["h2"],
      ...options,
    });
    socket.on("secureConnect", () => {
      protocol = socket.getProtocol();
    });
    // The server speaks first in HTTP/2 (its SETTINGS frame) once it accepted us; a refused client gets
    // an alert instead.
    socket.on("data", () => socket.end());
    socket.on("error", (e: NodeJS.ErrnoException) => {
      error = e.code;
    });
    socket.on("close", () => resolve({ protocol, error }));
  });
}

describe("mTLS fixture", () => {
  let fixture: MtlsFixture;
  let port: number;
  const server = new Server();

  before(async () => {
    fixture = await generateMtlsFixture();
    server.addService(RAW_SERVICE, {
      ping: (_call: unknown, callback: (e: null, r: Buffer) => void) => callback(null, Buffer.from("pong")),
    });
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", tls13ServerCredentials(fixture), (error, p) =>
        error ? reject(error) : resolve(p),
      ),
    );
  });

  after(() => server.forceShutdown());

  test("certificates chain to the CA with the roles and usages apid will check", () => {
    const ca = new X509Certificate(fixture.ca);
    const server = new X509Certificate(fixture.server.cert);
    const client = new X509Certificate(fixture.client.cert);
    assert.ok(ca.ca);
    for (const leaf of [server, client]) {
      assert.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey));
      assert.equal(leaf.publicKey.asymmetricKeyDetails?.namedCurve, "prime256v1");
    }
    assert.deepEqual(server.keyUsage, [SERVER_AUTH]);
    assert.ok(server.checkIP("127.0.0.1"));
    assert.deepEqual(client.keyUsage, [CLIENT_AUTH]);
    assert.match(client.subject, /^O=os:admin$/m);
  });

  test("the server accepts a client certificate over TLS 1.3", async () => {
    const result = await handshake(port, fixture, { cert: fixture.client.cert, key: fixture.client.key });
    assert.deepEqual(result, { protocol: "TLSv1.3", error: undefined });
  });

  test("the server refuses TLS 1.2", async () => {
    const result = await handshake(port, fixture, {
      cert: fixture.client.cert,
      key: fixture.client.key,
      maxVersion: "TLSv1.2",
    });
    assert.equal(result.error, "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION");
  });

  test("the server refuses a client without a certificate", async () => {
    const result = await handshake(port, fixture, {});
    assert.equal(result.error, "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED");
  });

  test("grpc-js channel credentials complete a call to that server", async () => {
    const client = new RawClient(`127.0.0.1:${port}`, tls13ChannelCredentials(fixture), {
      "grpc.ssl_target_name_override": "localhost",
    }) as unknown as RawClient & {
      ping(request: Buffer, callback: (e: ServiceError | null, r: Buffer) => void): void;
    };
    try {
      const response = await new Promise<Buffer>((resolve, reject) =>
        client.ping(Buffer.alloc(0), (error, r) => (error ? reject(error) : resolve(r))),
      );
      assert.equal(response.toString(), "pong");
    } finally {
      client.close();
    }
  });
});

const identity = (bytes: Buffer): Buffer => bytes;
const RAW_SERVICE = {
  ping: {
    path: "/stele.test.Raw/Ping",
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};
const RawClient = makeGenericClientConstructor(RAW_SERVICE, "Raw");
type RawClient = InstanceType<typeof RawClient>;
