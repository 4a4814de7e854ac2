import { setTimeout as sleep } from "node:timers/promises";
import { type ChannelCredentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { CertificateRequest, SecurityServiceClient } from "../api/security/v1alpha1/security.ts";
import { SteleError } from "../errors.ts";
import {
  createCertificateRequest,
  type KeyAlgorithm,
  keyMatchesCertificate,
  verifyIssuedBy,
} from "../pki/index.ts";
import { JOIN_TOKEN_METADATA_KEY } from "./join-token-metadata-key.ts";
import { type RetryDelayOptions, retryDelay } from "./retry-delay.ts";
import { trustdChannelCredentials } from "./trustd-channel-credentials.ts";
import { trustdTarget } from "./trustd-target.ts";

/** One failed try, as `requestCertificate` reports it so the caller can say why the node waits. */
export interface CertificateAttempt {
  /** 1 for the first try, counting every endpoint tried. */
  attempt: number;
  /** The endpoint as given in `endpoints`. */
  endpoint: string;
  /** Why it failed, a sentence for a status line ("Join token refused by trustd at …"). */
  error: string;
  /** Whether trustd refused the token (PERMISSION_DENIED), which no amount of retrying fixes by itself. */
  tokenRefused: boolean;
  /** How long until the next try: 0 while other endpoints of the round remain. */
  nextDelayMs: number;
}

/** Options of `requestCertificate`. */
export interface RequestCertificateOptions {
  /** The control planes' trustd endpoints (`host`, `host:port`; port 50001 by default), tried in order. */
  endpoints: readonly string[];
  /** The cluster's join token (MachineConfig `token`). */
  token: string;
  /** The OS CA certificate, PEM: trustd's certificate must chain to it, and so must the one issued. */
  caPem: string;
  /** DNS names the certificate is for; the first (or the first IP) becomes the common name. */
  hostnames?: readonly string[];
  /** IP addresses the certificate is for. */
  ips?: readonly string[];
  /** Stops the retries; the returned promise then rejects with the signal's reason. */
  signal: AbortSignal;
  /** Called after every failed try, before the wait. */
  onAttempt?: (attempt: CertificateAttempt) => void;
  /** Algorithm of the generated key; Ed25519 by default, as apid's own certificates use. */
  algorithm?: KeyAlgorithm;
  /** Backoff between rounds over the endpoints (1 s doubling to 30 s by default). */
  retry?: RetryDelayOptions;
  /** Deadline of one call (default 10 s), so a control plane that hangs does not stall the join. */
  callTimeoutMs?: number;
}

/** The worker's apid server identity, as trustd issued it. */
export interface RequestedCertificate {
  /** The certificate, PEM, serverAuth only, signed by the OS CA. */
  crt: string;
  /** Its private key, PEM, generated here: it never left the node. */
  key: string;
  /** The OS CA certificate trustd returned, PEM, to trust other nodes' apid with. */
  ca: string;
}

const DEFAULT_CALL_TIMEOUT_MS = 10_000;
// A refused token needs a person to fix a config; retry at the slowest pace, not the fastest.
const REFUSED_ROUND = Number.MAX_SAFE_INTEGER;

/**
 * Gets the worker's apid server certificate from trustd: generates a key and a CSR for `hostnames`
 * and `ips`, sends the CSR with the join token to each endpoint in turn, and after a round in which
 * all failed waits with exponential backoff and jitter (capped at 30 s) before the next, until one
 * answers or `signal` aborts. It never gives up on its own: at boot a worker has nothing better to do
 * than wait for a control plane, and `onAttempt` tells its status why it waits. A refused token is
 * retried too (the control plane may be reconfigured) but at the cap delay. An answer is accepted
 * only when its certificate is for our key and issued by the OS CA we already trust.
 */
export async function requestCertificate(options: RequestCertificateOptions): Promise<RequestedCertificate> {
  const { signal } = options;
  signal.throwIfAborted();
  const hostnames = options.hostnames ?? [];
  const ips = options.ips ?? [];
  const commonName = hostnames[0] ?? ips[0];
  if (commonName === undefined) {
    throw new SteleError(
      "invalid-argument",
      "Cannot request an apid certificate: no host name or IP address to put in it",
      "Pass the node's host names or addresses, which clients connect to",
    );
  }
  if (options.endpoints.length === 0) {
    throw new SteleError(
      "invalid-argument",
      "Cannot request an apid certificate: no trustd endpoint given",
      "Pass the control-plane addresses (the cluster endpoint's host) as trustd endpoints",
    );
  }
  if (options.token === "") {
    throw new SteleError(
      "invalid-argument",
      "Cannot request an apid certificate: the join token is empty",
      "Set MachineConfig token to the cluster's join token (the same on every node)",
    );
  }
  const targets = options.endpoints.map((endpoint) => ({ endpoint, target: trustdTarget(endpoint) }));
  const credentials = trustdChannelCredentials(options.caPem);
  const request = await createCertificateRequest({
    commonName,
    dnsNames: hostnames,
    ipAddresses: ips,
    algorithm: options.algorithm ?? "ed25519",
  });
  let attempt = 0;
  for (let round = 0; ; round++) {
    let refused = false;
    for (const [index, { endpoint, target }] of targets.entries()) {
      signal.throwIfAborted();
      attempt++;
      let failure: { error: string; tokenRefused: boolean };
      try {
        const reply = await callTrustd(target, request.csr, { ...options, credentials });
        const checked = checkReply(reply, request.key, options.caPem, endpoint);
        if (typeof checked !== "string") return checked;
        failure = { error: checked, tokenRefused: false };
      } catch (error) {
        signal.throwIfAborted();
        failure = describeFailure(error, endpoint);
      }
      refused ||= failure.tokenRefused;
      const lastOfRound = index === targets.length - 1;
      const nextDelayMs = lastOfRound ? retryDelay(refused ? REFUSED_ROUND : round, options.retry) : 0;
      options.onAttempt?.({ attempt, endpoint, ...failure, nextDelayMs });
      if (nextDelayMs > 0) {
        try {
          await sleep(nextDelayMs, undefined, { signal });
        } catch {
          signal.throwIfAborted();
        }
      }
    }
  }
}

interface CallOptions {
  token: string;
  credentials: ChannelCredentials;
  signal: AbortSignal;
  callTimeoutMs?: number;
}

interface TrustdReply {
  ca: string;
  crt: string;
  error?: string;
}

function callTrustd(target: string, csr: string, options: CallOptions): Promise<TrustdReply> {
  const client = new SecurityServiceClient(target, options.credentials);
  const metadata = new Metadata();
  metadata.set(JOIN_TOKEN_METADATA_KEY, options.token);
  const deadline = Date.now() + (options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS);
  return new Promise<TrustdReply>((resolve, reject) => {
    const call = client.certificate(
      CertificateRequest.create({ csr: Buffer.from(csr) }),
      metadata,
      { deadline },
      (error, response) => {
        options.signal.removeEventListener("abort", cancel);
        client.close();
        if (error) return reject(error);
        const reply = response.messages[0];
        const failed = reply?.metadata?.error;
        resolve({
          ca: reply?.ca.toString("utf8") ?? "",
          crt: reply?.crt.toString("utf8") ?? "",
          ...(failed ? { error: failed.message } : reply ? {} : { error: "the reply holds no certificate" }),
        });
      },
    );
    const cancel = () => call.cancel();
    options.signal.addEventListener("abort", cancel, { once: true });
  });
}

/** The certificate and key when the reply is good, else why it is not. */
function checkReply(
  reply: TrustdReply,
  key: string,
  caPem: string,
  endpoint: string,
): RequestedCertificate | string {
  const prefix = `Cannot use the reply of trustd at ${endpoint}`;
  if (reply.error !== undefined) return `${prefix}: ${reply.error}`;
  try {
    if (!verifyIssuedBy(reply.crt, caPem, { leafLabel: "the issued certificate", caLabel: "the OS CA" })) {
      return `${prefix}: the certificate is not issued by the OS CA`;
    }
    if (!keyMatchesCertificate(reply.crt, key))
      return `${prefix}: the certificate is not for this node's key`;
  } catch (error) {
    return `${prefix}: ${error instanceof Error ? error.message : String(error)}`;
  }
  return { crt: reply.crt, key, ca: reply.ca.includes("-----BEGIN CERTIFICATE-----") ? reply.ca : caPem };
}

function describeFailure(error: unknown, endpoint: string): { error: string; tokenRefused: boolean } {
  const grpc = error as Partial<ServiceError>;
  const detail = typeof grpc.details === "string" && grpc.details !== "" ? grpc.details : String(error);
  if (grpc.code === status.PERMISSION_DENIED || grpc.code === status.UNAUTHENTICATED) {
    return { error: `Join token refused by trustd at ${endpoint}: ${detail}`, tokenRefused: true };
  }
  return { error: `Cannot get a certificate from trustd at ${endpoint}: ${detail}`, tokenRefused: false };
}
