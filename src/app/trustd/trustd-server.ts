import { hostname as osHostname } from "node:os";
import { Server, type ServerUnaryCall, type sendUnaryData } from "@grpc/grpc-js";
import {
  type CertificateRequest,
  type CertificateResponse,
  SecurityServiceService,
} from "../../machinery/api/security/v1alpha1/security.ts";
import { SteleError } from "../../machinery/errors.ts";
import { serverCredentials } from "../../machinery/grpc/server-credentials.ts";
import {
  type CertificateAndKey,
  inspectCertificate,
  keyMatchesCertificate,
  loadCertificateAuthority,
  signCertificateRequest,
  verifyIssuedBy,
} from "../../machinery/pki/index.ts";
import { JOIN_TOKEN_METADATA_KEY } from "../../machinery/trustd/index.ts";
import { createFailedAttemptLimiter, type FailedAttemptLimiterOptions } from "./failed-attempt-limiter.ts";
import { joinTokenMatches } from "./join-token-matches.ts";
import { attemptKey, peerHost } from "./peer-host.ts";
import { toGrpcStatus } from "./to-grpc-status.ts";

/** Where trustd writes what it did; structured fields first, as pino and the node's log manager take them. */
export interface TrustdLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** Options of `startTrustd`. */
export interface StartTrustdOptions {
  /** `host:port` to listen on (`0.0.0.0:50001` on a node; port 0 picks a free one, for tests). */
  listen: string;
  /** The OS CA, certificate and key: it signs the workers' apid certificates. */
  osCA: CertificateAndKey;
  /** The cluster's join token (MachineConfig `token`) a worker must present. */
  token: string;
  /** trustd's own TLS certificate and key, issued by the OS CA for this control plane's addresses. */
  serverIdentity: CertificateAndKey;
  logger: TrustdLogger;
  /** The name replies are tagged with; the host name by default. */
  hostname?: string;
  /** Failed attempts allowed per peer address (10 per minute by default). */
  rateLimit?: FailedAttemptLimiterOptions;
  /** Lifetime of issued certificates; at most, and by default, one year (and never beyond the CA). */
  certificateTtlMs?: number;
}

/** A running trustd. */
export interface TrustdHandle {
  /** `host:port` it listens on, with the port actually bound. */
  address: string;
  /** Stops accepting calls, lets running ones finish (up to 5 s) and releases the port. */
  close(): Promise<void>;
}

/** The longest lifetime of an issued apid certificate: a year, renewed long before by the node. */
export const MAX_CERTIFICATE_TTL_MS = 365 * 24 * 60 * 60 * 1000;

// A CSR is well under 2 KiB; refusing anything much larger keeps a caller without the token from
// making trustd buffer megabytes (grpc-js would accept 4 MiB by default).
const MAX_MESSAGE_BYTES = 64 * 1024;
const CLOSE_GRACE_MS = 5_000;

const HINT_TOKEN =
  "Set the worker's MachineConfig token to the cluster's join token, the `token` of the control plane's config";

/**
 * Starts trustd: a gRPC server over TLS 1.3 (server authentication only) whose one RPC signs a
 * worker's CSR as its apid server certificate when the call carries the join token. The certificate
 * is serverAuth only and has no Organization, whatever the CSR asks for: Organizations are roles on
 * the OS CA, and a holder of the join token must not be able to mint itself `os:admin`. Failed
 * attempts are counted per peer address (per /64 for IPv6) and a peer over the limit is refused with
 * RESOURCE_EXHAUSTED before its token is compared. The inputs are checked before the port is bound, so a misconfigured control plane fails at
 * start with a message instead of failing every worker's handshake.
 */
export async function startTrustd(options: StartTrustdOptions): Promise<TrustdHandle> {
  await checkInputs(options);
  const limiter = createFailedAttemptLimiter(options.rateLimit);
  const hostname = options.hostname ?? osHostname();
  const ttlMs = Math.min(options.certificateTtlMs ?? MAX_CERTIFICATE_TTL_MS, MAX_CERTIFICATE_TTL_MS);
  const { logger } = options;

  const certificate = async (call: ServerUnaryCall<CertificateRequest, CertificateResponse>) => {
    const peer = peerHost(call.getPeer());
    const key = attemptKey(peer);
    const waitMs = limiter.retryAfterMs(key);
    if (waitMs > 0) {
      logger.warn({ peer, retryAfterMs: waitMs }, "Refused certificate request: too many failed attempts");
      throw new SteleError(
        "busy",
        `Too many failed join attempts from ${peer}: try again in ${Math.ceil(waitMs / 1000)} s`,
        HINT_TOKEN,
      );
    }
    const presented = call.metadata.get(JOIN_TOKEN_METADATA_KEY);
    const token = presented.length === 1 && typeof presented[0] === "string" ? presented[0] : undefined;
    if (!joinTokenMatches(token, options.token)) {
      limiter.recordFailure(key);
      // The peer and whether a token came at all, never the token: a typo'd token is nearly the secret.
      logger.warn({ peer, token: token === undefined ? "missing" : "wrong" }, "Refused certificate request");
      throw new SteleError("permission-denied", "Invalid join token", HINT_TOKEN);
    }
    const issued = await signCertificateRequest(call.request.csr.toString("utf8"), {
      ca: options.osCA,
      usage: "server",
      ttlMs,
      dropOrganizations: true,
      label: `the request of ${peer}`,
    });
    const info = inspectCertificate(issued.crt);
    logger.info(
      {
        peer,
        commonName: info.commonName,
        dnsNames: info.dnsNames,
        ipAddresses: info.ipAddresses,
        serial: info.serial,
        notAfter: info.notAfter.toISOString(),
      },
      "Issued apid certificate",
    );
    return {
      messages: [{ metadata: { hostname }, ca: Buffer.from(options.osCA.crt), crt: Buffer.from(issued.crt) }],
    };
  };

  const server = new Server({ "grpc.max_receive_message_length": MAX_MESSAGE_BYTES });
  server.addService(SecurityServiceService, {
    certificate(
      call: ServerUnaryCall<CertificateRequest, CertificateResponse>,
      callback: sendUnaryData<CertificateResponse>,
    ) {
      certificate(call).then(
        (response) => callback(null, response),
        (error: unknown) => callback(toGrpcStatus(error)),
      );
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(
      options.listen,
      serverCredentials({
        ca: [],
        crt: options.serverIdentity.crt,
        key: options.serverIdentity.key,
        // A joining worker has no client certificate yet: the join token, checked per call, authenticates it.
        requireClientCert: false,
      }),
      (error, bound) => {
        if (error) {
          reject(
            new SteleError(
              "unavailable",
              `Cannot listen on ${options.listen}: ${error.message}`,
              "Check that no other process holds the port and that the address is this node's",
              { cause: error },
            ),
          );
        } else resolve(bound);
      },
    );
  });
  const address = options.listen.replace(/:\d+$/, `:${port}`);
  logger.info({ address }, "trustd listening");
  let closing: Promise<void> | undefined;
  return {
    address,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.forceShutdown(), CLOSE_GRACE_MS);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      return closing;
    },
  };
}

async function checkInputs(options: StartTrustdOptions): Promise<void> {
  if (options.token === "") {
    throw new SteleError(
      "invalid-argument",
      "Cannot start trustd: the join token is empty",
      "Set MachineConfig token (stelectl gen config writes one)",
    );
  }
  if (!/^[^:]+:\d+$|^\[[^\]]+\]:\d+$/.test(options.listen)) {
    throw new SteleError(
      "invalid-argument",
      `Cannot start trustd: listen address is not host:port, got ${JSON.stringify(options.listen)}`,
      "Pass e.g. 0.0.0.0:50001 or [::]:50001",
    );
  }
  await loadCertificateAuthority(options.osCA, { label: "the OS CA" });
  const { crt, key } = options.serverIdentity;
  const labels = { leafLabel: "trustd's certificate", caLabel: "the OS CA certificate" };
  if (!verifyIssuedBy(crt, options.osCA.crt, labels)) {
    throw new SteleError(
      "invalid-argument",
      "Cannot start trustd: its certificate is not issued by the OS CA",
      "Issue trustd's certificate from the OS CA: workers trust only that CA, so every handshake would fail",
    );
  }
  if (
    !keyMatchesCertificate(crt, key, { certificateLabel: "trustd's certificate", keyLabel: "trustd's key" })
  ) {
    throw new SteleError(
      "invalid-argument",
      "Cannot start trustd: its key does not match its certificate",
      "Pass the key the certificate was issued for",
    );
  }
}
