import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type ConnectionOptions, connect } from "node:tls";
import { status } from "@grpc/grpc-js";
import { isSteleError } from "../../machinery/errors.ts";
import { serverCredentials } from "../../machinery/grpc/server-credentials.ts";
import { diagnoseClientCertificate } from "../../machinery/pki/diagnose-client-certificate.ts";
import type { CertificateAndKey } from "../../machinery/pki/index.ts";
import {
  call,
  channelCredentials,
  type EdgePki,
  generateEdgePki,
  type RunningServer,
  startServer,
} from "./edge-test-fixture.ts";
import { selfSignedServerIdentity } from "./self-signed-server-identity.ts";

/** What a raw TLS client sees: the negotiated protocol and whether the server sent HTTP/2 bytes. */
interface RawOutcome {
  protocol: string | null;
  serverSpoke: boolean;
  error: (Error & { code?: string }) | undefined;
}

/**
 * Dials with node:tls directly (grpc-js hides the handshake), sends the HTTP/2 preface and waits
 * for the server's SETTINGS: a server that accepted the client answers, one that refused it
 * closes the connection or sends an alert.
 */
function rawConnect(port: number, options: ConnectionOptions): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const socket = connect({
      host: "127.0.0.1",
      port,
      servername: "localhost",
      ALPNProtocols: ["h2"],
      ...options,
    });
    let protocol: string | null = null;
    const finish = (outcome: Omit<RawOutcome, "protocol">) => {
      socket.destroy();
      resolve({ protocol, ...outcome });
    };
    socket.on("secureConnect", () => {
      protocol = socket.getProtocol();
      socket.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    });
    socket.once("data", () => finish({ serverSpoke: true, error: undefined }));
    socket.on("error", (error) => finish({ serverSpoke: false, error }));
    socket.on("close", () => finish({ serverSpoke: false, error: undefined }));
  });
}

describe("serverCredentials in mutual mode refuses at the TLS handshake", () => {
  let pki: EdgePki;
  let server: RunningServer;
  let handlerRuns = 0;

  before(async () => {
    pki = await generateEdgePki();
    const credentials = serverCredentials({
      ca: pki.ca.crt,
      crt: pki.server.crt,
      key: pki.server.key,
      requireClientCert: true,
    });
    server = await startServer(credentials, {
      Version: (_call: unknown, callback: (error: null, value: unknown) => void) => {
        handlerRuns += 1;
        callback(null, { version: "0.1.0" });
      },
    });
  });
  after(() => server.close());

  test("a client certificate of the cluster's CA gets through (the baseline the refusals differ from)", async () => {
    const outcome = await call(server.port, channelCredentials(pki.ca.crt, pki.admin), "Version");
    assert.deepEqual(outcome, { ok: true, messages: [{ version: "0.1.0" }] });
    const raw = await rawConnect(server.port, { ca: pki.ca.crt, cert: pki.admin.crt, key: pki.admin.key });
    assert.equal(raw.protocol, "TLSv1.3");
    assert.equal(raw.serverSpoke, true);
  });

  test("no client certificate: the server sends the TLS 1.3 certificate_required alert", async () => {
    const raw = await rawConnect(server.port, { ca: pki.ca.crt });
    assert.equal(raw.serverSpoke, false);
    assert.equal(raw.error?.code, "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED");
    const outcome = await call(server.port, channelCredentials(pki.ca.crt), "Version");
    assert.equal(outcome.ok, false);
    assert.equal(!outcome.ok && outcome.error.code, status.UNAVAILABLE);
    assert.match(!outcome.ok ? outcome.error.details : "", /certificate required/);
  });

  const refused: ReadonlyArray<[string, keyof EdgePki, RegExp]> = [
    ["a client certificate from another cluster's CA", "otherCluster", /not issued by a CA the node trusts/],
    ["an expired client certificate", "expired", /expired on \d{4}-/],
    ["a client certificate not valid yet", "notYetValid", /not valid yet: it is valid from \d{4}-/],
    [
      "a certificate without ExtKeyUsage clientAuth (serverAuth only)",
      "serverOnly",
      /lacks ExtKeyUsage clientAuth/,
    ],
  ];
  for (const [what, name, reason] of refused) {
    test(`${what}: the server drops the connection before any HTTP/2 byte, the call fails UNAVAILABLE`, async () => {
      const client = pki[name] as CertificateAndKey;
      const before = handlerRuns;
      const raw = await rawConnect(server.port, { ca: pki.ca.crt, cert: client.crt, key: client.key });
      assert.equal(raw.serverSpoke, false, "the server must not speak HTTP/2 to this client");
      const outcome = await call(server.port, channelCredentials(pki.ca.crt, client), "Version");
      assert.equal(outcome.ok, false);
      assert.equal(!outcome.ok && outcome.error.code, status.UNAVAILABLE);
      assert.equal(handlerRuns, before, "no handler may run for a refused client");
      // Node drops such connections without an alert; the client's own diagnosis names the reason.
      assert.match(diagnoseClientCertificate(client.crt, { ca: pki.ca.crt }) ?? "", reason);
    });
  }

  test("diagnoseClientCertificate finds nothing wrong with a good client certificate", () => {
    assert.equal(diagnoseClientCertificate(pki.admin.crt, { ca: [pki.otherCa.crt, pki.ca.crt] }), undefined);
  });

  test("a TLS 1.2-only client fails the handshake with a protocol_version alert", async () => {
    const raw = await rawConnect(server.port, {
      ca: pki.ca.crt,
      cert: pki.admin.crt,
      key: pki.admin.key,
      maxVersion: "TLSv1.2",
    });
    assert.equal(raw.protocol, null, "no protocol may be negotiated");
    assert.equal(raw.error?.code, "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION");
  });

  test("a client dialing a server name the certificate lacks refuses the server", async () => {
    const raw = await rawConnect(server.port, {
      ca: pki.ca.crt,
      cert: pki.admin.crt,
      key: pki.admin.key,
      servername: "node-7.example",
    });
    assert.equal(raw.error?.code, "ERR_TLS_CERT_ALTNAME_INVALID");
    const outcome = await call(server.port, channelCredentials(pki.ca.crt, pki.admin), "Version", {
      channelOptions: { "grpc.ssl_target_name_override": "node-7.example" },
    });
    assert.equal(outcome.ok, false);
    assert.equal(!outcome.ok && outcome.error.code, status.UNAVAILABLE);
    assert.match(!outcome.ok ? outcome.error.details : "", /node-7\.example\. is not in the cert's altnames/);
  });

  test("extra trusted roots are honoured: a second CA in the list admits its clients", async () => {
    const both = serverCredentials({
      ca: [pki.ca.crt, pki.otherCa.crt],
      crt: pki.server.crt,
      key: pki.server.key,
      requireClientCert: true,
    });
    const second = await startServer(both, {
      Version: (_call: unknown, callback: (error: null, value: unknown) => void) => callback(null, { ok: 1 }),
    });
    try {
      const outcome = await call(second.port, channelCredentials(pki.ca.crt, pki.otherCluster), "Version");
      assert.equal(outcome.ok, true);
    } finally {
      second.close();
    }
  });
});

describe("serverCredentials in maintenance mode", () => {
  let server: RunningServer;
  let fingerprint: string;
  let crt: string;

  before(async () => {
    const identity = await selfSignedServerIdentity({ hostnames: ["localhost"], ips: ["127.0.0.1"] });
    ({ fingerprint, crt } = identity);
    server = await startServer(
      serverCredentials({ ca: [], crt: identity.crt, key: identity.key, requireClientCert: false }),
      {
        Version: (_call: unknown, callback: (error: null, value: unknown) => void) =>
          callback(null, { m: 1 }),
      },
    );
  });
  after(() => server.close());

  test("serves TLS 1.3 without a client certificate, and the client can pin the printed fingerprint", async () => {
    const raw = await new Promise<{ protocol: string | null; fingerprint: string }>((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port: server.port, servername: "localhost", ca: crt });
      socket.on("secureConnect", () => {
        resolve({ protocol: socket.getProtocol(), fingerprint: socket.getPeerCertificate().fingerprint256 });
        socket.destroy();
      });
      socket.on("error", reject);
    });
    assert.deepEqual(raw, { protocol: "TLSv1.3", fingerprint });
    const outcome = await call(server.port, channelCredentials(crt), "Version");
    assert.deepEqual(outcome, { ok: true, messages: [{ m: 1 }] });
  });

  test("still refuses TLS 1.2", async () => {
    const raw = await rawConnect(server.port, { ca: crt, maxVersion: "TLSv1.2" });
    assert.equal(raw.error?.code, "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION");
  });
});

test("serverCredentials refuses mutual mode without a CA certificate", () => {
  assert.throws(
    () => serverCredentials({ ca: "", crt: "x", key: "y", requireClientCert: true }),
    (error) =>
      isSteleError(error) && error.code === "invalid-argument" && /no CA certificate/.test(error.message),
  );
});
