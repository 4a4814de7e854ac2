/**
 * Test support for apid's edge: a PKI made at test start (the cluster's OS CA, another cluster's CA,
 * and client certificates good and bad), a small JSON-serialized service on apid's method paths,
 * and helpers that start a real grpc-js server on 127.0.0.1:0 and dial it over real TLS. Tests use
 * these so every refusal they assert is a real handshake or call failure.
 */
import { createPrivateKey, KeyObject, webcrypto } from "node:crypto";
import { createSecureContext } from "node:tls";
import {
  type ChannelCredentials,
  type Client,
  credentials,
  Metadata,
  type MethodDefinition,
  makeGenericClientConstructor,
  Server,
  type ServerCredentials,
  type ServiceDefinition,
  type ServiceError,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import {
  type CertificateAndKey,
  createCertificateAuthority,
  issueCertificate,
} from "../../machinery/pki/index.ts";
import { x509 } from "../../machinery/pki/x509.ts";
import { IMPERSONATOR_ROLE } from "./impersonator-role.ts";

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/** The PKI of one test run. */
export interface EdgePki {
  /** The cluster's OS CA. */
  ca: CertificateAndKey;
  /** Another cluster's OS CA: its certificates must open nothing here. */
  otherCa: CertificateAndKey;
  /** apid's server certificate: 127.0.0.1 and localhost, serverAuth. */
  server: CertificateAndKey;
  admin: CertificateAndKey;
  operator: CertificateAndKey;
  reader: CertificateAndKey;
  /** A peer apid: os:impersonator only. */
  impersonator: CertificateAndKey;
  /** os:admin, but signed by `otherCa`. */
  otherCluster: CertificateAndKey;
  /** os:admin, expired yesterday. */
  expired: CertificateAndKey;
  /** os:admin, valid from tomorrow. */
  notYetValid: CertificateAndKey;
  /** os:admin with ExtKeyUsage serverAuth only. */
  serverOnly: CertificateAndKey;
  /** os:admin without any ExtKeyUsage extension, as old client certificates were minted. */
  noExtKeyUsage: CertificateAndKey;
}

/** Makes the PKI; ECDSA P-256 throughout, so it takes a few tens of milliseconds. */
export async function generateEdgePki(): Promise<EdgePki> {
  const now = Date.now();
  const ca = await createCertificateAuthority({
    commonName: "stele os",
    algorithm: "ecdsa-p256",
    ttlMs: 30 * DAY_MS,
    now: new Date(now - 10 * DAY_MS),
  });
  const otherCa = await createCertificateAuthority({
    commonName: "stele os",
    algorithm: "ecdsa-p256",
    ttlMs: DAY_MS,
  });
  const issue = async (
    organizations: string[],
    options: { usage?: "client" | "server"; signer?: CertificateAndKey; now?: number; ttlMs?: number } = {},
  ): Promise<CertificateAndKey> => {
    const usage = options.usage ?? "client";
    const issued = await issueCertificate({
      ca: options.signer ?? ca,
      commonName: organizations.length > 0 ? `${organizations.join("+")}-client` : "client",
      organizations,
      usage,
      ...(usage === "server" ? { dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] } : {}),
      ttlMs: options.ttlMs ?? DAY_MS,
      now: new Date(options.now ?? now),
    });
    return { crt: issued.crt, key: issued.key ?? "" };
  };
  return {
    ca,
    otherCa,
    server: await issue([], { usage: "server" }),
    admin: await issue(["os:admin"]),
    operator: await issue(["os:operator"]),
    reader: await issue(["os:reader"]),
    impersonator: await issue([IMPERSONATOR_ROLE]),
    otherCluster: await issue(["os:admin"], { signer: otherCa }),
    expired: await issue(["os:admin"], { now: now - 3 * DAY_MS, ttlMs: DAY_MS }),
    notYetValid: await issue(["os:admin"], { now: now + 2 * DAY_MS, ttlMs: DAY_MS }),
    serverOnly: await issue(["os:admin"], { usage: "server" }),
    noExtKeyUsage: await issueWithoutExtKeyUsage(ca, ["os:admin"]),
  };
}

/** issueCertificate always sets ExtKeyUsage (rightly); this builds the leaf old tools made, by hand. */
async function issueWithoutExtKeyUsage(
  ca: CertificateAndKey,
  organizations: string[],
): Promise<CertificateAndKey> {
  const algorithm = { name: "ECDSA", namedCurve: "P-256" } as const;
  const caKey = createPrivateKey(ca.key).toCryptoKey(algorithm, false, ["sign"]) as webcrypto.CryptoKey;
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, [
    "sign",
    "verify",
  ])) as webcrypto.CryptoKeyPair;
  const caCertificate = new x509.X509Certificate(ca.crt);
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: "4a01",
    subject: [...organizations.map((o) => ({ O: [o] })), { CN: ["old-client"] }],
    issuer: caCertificate.subjectName,
    notBefore: new Date(Date.now() - HOUR_MS),
    notAfter: new Date(Date.now() + DAY_MS),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      await x509.AuthorityKeyIdentifierExtension.create(caCertificate.publicKey),
    ],
  });
  const key = KeyObject.from(keys.privateKey).export({ type: "pkcs8", format: "pem" }).toString();
  return { crt: certificate.toString("pem"), key };
}

/** The service tests call: apid's method paths, JSON on the wire so no generated code is needed. */
export const SERVICE = "/stele.machine.v1alpha1.MachineService";

function jsonMethod(name: string, responseStream: boolean): MethodDefinition<unknown, unknown> {
  const serialize = (value: unknown): Buffer => Buffer.from(JSON.stringify(value ?? null));
  const deserialize = (bytes: Buffer): unknown => JSON.parse(bytes.toString("utf8"));
  return {
    path: `${SERVICE}/${name}`,
    requestStream: false,
    responseStream,
    requestSerialize: serialize,
    requestDeserialize: deserialize,
    responseSerialize: serialize,
    responseDeserialize: deserialize,
  };
}

/** Version and Reboot (unary), Logs (server-streaming), Fail (unary, always fails). */
export const testService: ServiceDefinition = {
  Version: jsonMethod("Version", false),
  Reboot: jsonMethod("Reboot", false),
  Logs: jsonMethod("Logs", true),
  Fail: jsonMethod("Fail", false),
};

/** A running server and its port; `close` in the test's `after`. */
export interface RunningServer {
  port: number;
  close(): void;
}

/** Starts a grpc-js server with `implementation` of `testService` on 127.0.0.1:0. */
export async function startServer(
  serverCredentials: ServerCredentials,
  implementation: UntypedServiceImplementation,
): Promise<RunningServer> {
  const server = new Server();
  server.addService(testService, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", serverCredentials, (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { port, close: () => server.forceShutdown() };
}

/** TLS 1.3 channel credentials trusting `ca`, presenting `client` when given. */
export function channelCredentials(ca: string, client?: CertificateAndKey): ChannelCredentials {
  return credentials.createFromSecureContext(
    createSecureContext({
      ca,
      minVersion: "TLSv1.3",
      ...(client ? { cert: client.crt, key: client.key } : {}),
    }),
  );
}

const TestClient = makeGenericClientConstructor(testService, "MachineService");

/** The outcome of a call: its messages, or the error grpc-js raised. */
export type CallOutcome = { ok: true; messages: unknown[] } | { ok: false; error: ServiceError };

/** Options of `call`. */
export interface CallOptions {
  /** The request message; `{}` by default. */
  request?: unknown;
  metadata?: Record<string, string>;
  /** Channel options, e.g. `grpc.ssl_target_name_override`. */
  channelOptions?: Record<string, string | number>;
}

/** Makes one call (unary or server-streaming) on a fresh channel, which it closes afterwards. */
export async function call(
  port: number,
  channel: ChannelCredentials,
  method: keyof typeof testService & string,
  options: CallOptions = {},
): Promise<CallOutcome> {
  const client = new TestClient(`127.0.0.1:${port}`, channel, options.channelOptions ?? {}) as Client &
    Record<string, (...args: unknown[]) => unknown>;
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(options.metadata ?? {})) metadata.set(key, value);
  const deadline = new Date(Date.now() + 5000);
  try {
    return await new Promise<CallOutcome>((resolve) => {
      if (testService[method]?.responseStream) {
        const messages: unknown[] = [];
        const stream = client.makeServerStreamRequest(
          testService[method].path,
          testService[method].requestSerialize,
          testService[method].responseDeserialize,
          options.request ?? {},
          metadata,
          { deadline },
        );
        stream.on("data", (message: unknown) => messages.push(message));
        stream.on("error", (error: ServiceError) => resolve({ ok: false, error }));
        stream.on("end", () => resolve({ ok: true, messages }));
      } else {
        client.makeUnaryRequest(
          testService[method]!.path,
          testService[method]!.requestSerialize,
          testService[method]!.responseDeserialize,
          options.request ?? {},
          metadata,
          { deadline },
          (error: ServiceError | null, value?: unknown) =>
            resolve(error ? { ok: false, error } : { ok: true, messages: [value] }),
        );
      }
    });
  } finally {
    client.close();
  }
}
