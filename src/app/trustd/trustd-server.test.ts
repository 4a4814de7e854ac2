import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, test } from "node:test";
import { Metadata, type ServiceError, status } from "@grpc/grpc-js";
import {
  CertificateRequest,
  type CertificateResponse,
  SecurityServiceClient,
} from "../../machinery/api/security/v1alpha1/security.ts";
import {
  createCertificateAuthority,
  createCertificateRequest,
  inspectCertificate,
  issueCertificate,
  keyMatchesCertificate,
} from "../../machinery/pki/index.ts";
import { openssl, pemDirectory, x509Text } from "../../machinery/pki/openssl-for-tests.ts";
import {
  type CertificateAttempt,
  JOIN_TOKEN_METADATA_KEY,
  requestCertificate,
  trustdChannelCredentials,
} from "../../machinery/trustd/index.ts";
import {
  MAX_CERTIFICATE_TTL_MS,
  startTrustd,
  type TrustdHandle,
  type TrustdLogger,
} from "./trustd-server.ts";

const HOUR = 3_600_000;
const TOKEN = "abcdef.0123456789abcdef";
const WRONG_TOKEN = "zzzzzz.9999999999999999";
const FAST_RETRY = { baseMs: 20, capMs: 200 };

const files = pemDirectory("stele-trustd-");
const servers: TrustdHandle[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  files.remove();
});

const osCA = await createCertificateAuthority({
  commonName: "stele-os",
  algorithm: "ed25519",
  ttlMs: 10 * 8760 * HOUR,
});
const identity = await issueCertificate({
  ca: osCA,
  commonName: "trustd",
  usage: "server",
  ipAddresses: ["127.0.0.1"],
  ttlMs: HOUR,
});
const serverIdentity = { crt: identity.crt, key: identity.key ?? "" };
const caPath = files.write("ca.pem", osCA.crt);

interface LogLine {
  level: "info" | "warn";
  fields: Record<string, unknown>;
  message: string;
}

function recordingLogger(): { logger: TrustdLogger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    logger: {
      info: (fields, message) => lines.push({ level: "info", fields, message }),
      warn: (fields, message) => lines.push({ level: "warn", fields, message }),
    },
  };
}

async function start(options: { listen?: string; rateLimit?: { limit: number } } = {}) {
  const { logger, lines } = recordingLogger();
  const handle = await startTrustd({
    listen: options.listen ?? "127.0.0.1:0",
    osCA,
    token: TOKEN,
    serverIdentity,
    logger,
    hostname: "cp-1",
    ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
  });
  servers.push(handle);
  return { handle, lines };
}

/** One Certificate call with whatever CSR and token a test wants, as a hostile client could make it. */
function rawCall(
  address: string,
  csr: string,
  token: string | undefined,
): Promise<{ error: ServiceError | null; response?: CertificateResponse }> {
  const client = new SecurityServiceClient(address, trustdChannelCredentials(osCA.crt));
  const metadata = new Metadata();
  if (token !== undefined) metadata.set(JOIN_TOKEN_METADATA_KEY, token);
  return new Promise((resolve) => {
    client.certificate(CertificateRequest.create({ csr: Buffer.from(csr) }), metadata, (error, response) => {
      client.close();
      resolve(error ? { error } : { error: null, response });
    });
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  assert.ok(address !== null && typeof address === "object");
  return address.port;
}

let shared: { handle: TrustdHandle; lines: LogLine[] };
before(async () => {
  shared = await start();
});

test("a worker with the join token gets a serverAuth-only certificate that openssl verifies", async () => {
  const issued = await requestCertificate({
    endpoints: [shared.handle.address],
    token: TOKEN,
    caPem: osCA.crt,
    hostnames: ["worker-1"],
    ips: ["10.5.0.3"],
    signal: AbortSignal.timeout(5_000),
  });
  const verify = openssl([
    "verify",
    "-CAfile",
    caPath,
    "-purpose",
    "sslserver",
    files.write("w1.pem", issued.crt),
  ]);
  assert.ok(verify.ok, verify.output);
  const text = x509Text(issued.crt);
  assert.match(text, /TLS Web Server Authentication/);
  assert.doesNotMatch(text, /TLS Web Client Authentication/);
  assert.match(text, /DNS:worker-1, IP Address:10\.5\.0\.3/);
  assert.ok(keyMatchesCertificate(issued.crt, issued.key));
  assert.equal(issued.ca, osCA.crt);
  const info = inspectCertificate(issued.crt);
  assert.ok(info.notAfter.getTime() - Date.now() <= MAX_CERTIFICATE_TTL_MS);
  assert.ok(info.notAfter.getTime() - Date.now() > MAX_CERTIFICATE_TTL_MS - HOUR);
  const logged = shared.lines.find((l) => l.message === "Issued apid certificate");
  assert.equal(logged?.fields["commonName"], "worker-1");
});

test("a CSR asking for O=os:admin gets a certificate without any Organization", async () => {
  const request = await createCertificateRequest({
    commonName: "worker-2",
    organizations: ["os:admin"],
    dnsNames: ["worker-2"],
    ipAddresses: ["10.5.0.4"],
    algorithm: "ecdsa-p256",
  });
  const { error, response } = await rawCall(shared.handle.address, request.csr, TOKEN);
  assert.equal(error, null);
  const reply = response?.messages[0];
  assert.equal(reply?.metadata?.hostname, "cp-1");
  assert.doesNotMatch(reply?.ca.toString() ?? "", /PRIVATE KEY/);
  const crt = reply?.crt.toString() ?? "";
  const text = x509Text(crt);
  assert.match(text, /Subject: CN = worker-2\n/);
  assert.doesNotMatch(text, /O = |os:admin/);
  assert.match(text, /DNS:worker-2, IP Address:10\.5\.0\.4/);
  const verify = openssl(["verify", "-CAfile", caPath, "-purpose", "sslserver", files.write("w2.pem", crt)]);
  assert.ok(verify.ok, verify.output);
});

test("a wrong token is refused with PERMISSION_DENIED and logged with the peer, never the token", async () => {
  const request = await createCertificateRequest({ commonName: "intruder", dnsNames: ["intruder"] });
  const before = shared.lines.length;
  const { error, response } = await rawCall(shared.handle.address, request.csr, WRONG_TOKEN);
  assert.equal(response, undefined);
  assert.equal(error?.code, status.PERMISSION_DENIED);
  assert.equal(error?.details, "Invalid join token");
  const logged = shared.lines.slice(before);
  const refusal = logged.find((l) => l.level === "warn");
  assert.equal(refusal?.fields["peer"], "127.0.0.1");
  assert.doesNotMatch(JSON.stringify(logged), /zzzzzz|9999999999/);
});

test("a call without a token is refused with PERMISSION_DENIED", async () => {
  const request = await createCertificateRequest({ commonName: "anon", dnsNames: ["anon"] });
  const { error } = await rawCall(shared.handle.address, request.csr, undefined);
  assert.equal(error?.code, status.PERMISSION_DENIED);
  assert.equal(shared.lines.at(-1)?.fields["token"], "missing");
});

test("a request that is not a CSR is refused with INVALID_ARGUMENT", async () => {
  const { error } = await rawCall(shared.handle.address, "not a csr", TOKEN);
  assert.equal(error?.code, status.INVALID_ARGUMENT);
});

test("the client reports why it waits and succeeds once trustd comes up", async () => {
  const address = `127.0.0.1:${await freePort()}`;
  const attempts: CertificateAttempt[] = [];
  let started: Promise<unknown> | undefined;
  const issued = await requestCertificate({
    endpoints: [address],
    token: TOKEN,
    caPem: osCA.crt,
    hostnames: ["worker-3"],
    signal: AbortSignal.timeout(5_000),
    retry: FAST_RETRY,
    onAttempt(attempt) {
      attempts.push(attempt);
      started ??= start({ listen: address });
    },
  });
  await started;
  assert.ok(attempts.length >= 1);
  assert.equal(attempts[0]?.attempt, 1);
  assert.equal(attempts[0]?.endpoint, address);
  assert.equal(attempts[0]?.tokenRefused, false);
  assert.match(attempts[0]?.error ?? "", new RegExp(`^Cannot get a certificate from trustd at ${address}: `));
  assert.ok((attempts[0]?.nextDelayMs ?? 0) > 0);
  assert.equal(inspectCertificate(issued.crt).commonName, "worker-3");
});

test("endpoints are tried in order within a round, without waiting between them", async () => {
  const dead = `127.0.0.1:${await freePort()}`;
  const attempts: CertificateAttempt[] = [];
  const issued = await requestCertificate({
    endpoints: [dead, shared.handle.address],
    token: TOKEN,
    caPem: osCA.crt,
    ips: ["10.5.0.9"],
    signal: AbortSignal.timeout(5_000),
    onAttempt: (attempt) => attempts.push(attempt),
  });
  assert.deepEqual(
    attempts.map((a) => [a.endpoint, a.nextDelayMs]),
    [[dead, 0]],
  );
  assert.deepEqual(inspectCertificate(issued.crt).ipAddresses, ["10.5.0.9"]);
});

test("a refused token is reported as such and retried at the cap delay", async () => {
  const controller = new AbortController();
  const attempts: CertificateAttempt[] = [];
  const request = requestCertificate({
    endpoints: [shared.handle.address],
    token: WRONG_TOKEN,
    caPem: osCA.crt,
    hostnames: ["worker-4"],
    signal: controller.signal,
    retry: FAST_RETRY,
    onAttempt(attempt) {
      attempts.push(attempt);
      if (attempts.length === 2) controller.abort(new Error("test done"));
    },
  });
  await assert.rejects(request, /test done/);
  assert.equal(attempts.length, 2);
  for (const attempt of attempts) {
    assert.equal(attempt.tokenRefused, true);
    assert.match(
      attempt.error,
      new RegExp(`^Join token refused by trustd at ${shared.handle.address}: Invalid join token`),
    );
    assert.ok(attempt.nextDelayMs >= FAST_RETRY.capMs / 2 && attempt.nextDelayMs <= FAST_RETRY.capMs);
  }
});

test("abort stops the retries", async () => {
  const address = `127.0.0.1:${await freePort()}`;
  const controller = new AbortController();
  let attempts = 0;
  const request = requestCertificate({
    endpoints: [address],
    token: TOKEN,
    caPem: osCA.crt,
    hostnames: ["worker-5"],
    signal: controller.signal,
    retry: { baseMs: 5_000, capMs: 5_000 },
    onAttempt: () => {
      attempts++;
      // Abort during the 5 s wait: the promise must settle now, not after it.
      setTimeout(() => controller.abort(new Error("shutting down")), 20);
    },
  });
  const startedAt = Date.now();
  await assert.rejects(request, /shutting down/);
  assert.ok(Date.now() - startedAt < 2_000);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(attempts, 1);
});

test("after N bad tokens a peer is refused with RESOURCE_EXHAUSTED, even with the right token", async () => {
  const { handle, lines } = await start({ rateLimit: { limit: 3 } });
  const request = await createCertificateRequest({ commonName: "worker-6", dnsNames: ["worker-6"] });
  for (let i = 0; i < 3; i++) {
    const { error } = await rawCall(handle.address, request.csr, `${WRONG_TOKEN}${i}`);
    assert.equal(error?.code, status.PERMISSION_DENIED);
  }
  const blocked = await rawCall(handle.address, request.csr, TOKEN);
  assert.equal(blocked.error?.code, status.RESOURCE_EXHAUSTED);
  assert.match(
    blocked.error?.details ?? "",
    /^Too many failed join attempts from 127\.0\.0\.1: try again in \d+ s$/,
  );
  assert.equal(lines.filter((l) => l.message === "Issued apid certificate").length, 0);
});

test("trustd refuses to start with a certificate its workers could not verify", async () => {
  const otherCA = await createCertificateAuthority({
    commonName: "other",
    algorithm: "ed25519",
    ttlMs: HOUR,
  });
  const foreign = await issueCertificate({
    ca: otherCA,
    commonName: "trustd",
    usage: "server",
    ipAddresses: ["127.0.0.1"],
    ttlMs: HOUR,
  });
  await assert.rejects(
    startTrustd({
      listen: "127.0.0.1:0",
      osCA,
      token: TOKEN,
      serverIdentity: { crt: foreign.crt, key: foreign.key ?? "" },
      logger: recordingLogger().logger,
    }),
    { name: "SteleError", message: "Cannot start trustd: its certificate is not issued by the OS CA" },
  );
});
