import { type Metadata, status } from "@grpc/grpc-js";
import type { ClientContext } from "../../machinery/client/index.ts";
import { type ErrorCode, isSteleError, SteleError } from "../../machinery/errors.ts";
import { decodeHint, diagnoseClientCertificate, HINT_METADATA_KEY } from "./apid-contract.ts";

/** Options of `describeRpcError`. */
export interface DescribeRpcErrorOptions {
  /** The endpoint dialled, `host:port`. */
  endpoint: string;
  /** The context's credentials, to explain a handshake the node broke off; absent with --insecure. */
  context?: Pick<ClientContext, "ca" | "crt">;
  /** The time to judge the client certificate at; defaults to now. */
  now?: Date;
}

const CODES: Readonly<Partial<Record<number, ErrorCode>>> = {
  [status.INVALID_ARGUMENT]: "invalid-argument",
  [status.NOT_FOUND]: "not-found",
  [status.ALREADY_EXISTS]: "already-exists",
  [status.PERMISSION_DENIED]: "permission-denied",
  [status.UNAUTHENTICATED]: "unauthenticated",
  [status.FAILED_PRECONDITION]: "failed-precondition",
  [status.ABORTED]: "busy",
  [status.UNAVAILABLE]: "unavailable",
};

const CERTIFICATE_NOT_TRUSTED =
  /self[- ]signed certificate|unable to verify|unable to get (local )?issuer|certificate signature failure|UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT/i;
const NAME_MISMATCH = /altnames|does not match certificate|ERR_TLS_CERT_ALTNAME_INVALID/i;
const SERVER_EXPIRED = /certificate has expired|CERT_HAS_EXPIRED/i;
// What grpc-js says when the connection itself failed, as opposed to a status the server sent.
const TRANSPORT =
  /No connection established|Connection dropped|connection closed|ECONN|socket|write after end|TLS/i;
const NETWORK: ReadonlyArray<[RegExp, string]> = [
  [/ECONNREFUSED/, "connection refused"],
  [/ENOTFOUND|EAI_AGAIN/, "no such host"],
  [/ETIMEDOUT|timed out/i, "connection timed out"],
  [/EHOSTUNREACH|ENETUNREACH/, "no route to host"],
];

/**
 * Turns a failed gRPC call into the one error a user can act on; the only place that reads gRPC
 * status codes in stelectl. An unreachable endpoint says so with the network's reason; a server
 * certificate problem says which certificate and why (not from the context's CA, not naming the
 * address, expired); a handshake the node broke off is explained by checking the client
 * certificate as apid does, since the node sends no reason; a refusal by role passes the server's
 * message through (it names the roles needed). The server's hint (trailer `x-stele-hint`) wins
 * over ours, as the node knows more.
 */
export function describeRpcError(error: unknown, options: DescribeRpcErrorOptions): SteleError {
  if (isSteleError(error)) return error;
  const { code, details, metadata } = error as { code?: unknown; details?: unknown; metadata?: Metadata };
  if (typeof code !== "number") {
    const message = error instanceof Error ? error.message : String(error);
    return new SteleError("internal", `Call to ${options.endpoint} failed: ${message}`, undefined, {
      cause: error,
    });
  }
  const text = typeof details === "string" && details !== "" ? details : (error as Error).message;
  const rawHint = metadata?.get(HINT_METADATA_KEY)[0]?.toString();
  const serverHint = rawHint === undefined ? undefined : decodeHint(rawHint);
  const endpoint = options.endpoint;
  const cause = { cause: error };
  if (code === status.UNAVAILABLE && serverHint !== undefined) {
    // A status with a hint trailer was composed by a Stele daemon (e.g. apid that cannot reach the
    // node it was asked to forward to), not by the transport: its words name the real culprit.
    return new SteleError("unavailable", text, serverHint, cause);
  }
  if (code === status.UNAVAILABLE || code === status.UNAUTHENTICATED) {
    if (CERTIFICATE_NOT_TRUSTED.test(text)) {
      return new SteleError(
        "unauthenticated",
        `The server certificate of ${endpoint} is not signed by the context's CA: ${tlsReason(text)}`,
        "The endpoint belongs to another cluster or is a node in maintenance mode (use `apply-config --insecure`); otherwise merge this cluster's stelectlconfig again",
        cause,
      );
    }
    if (NAME_MISMATCH.test(text)) {
      return new SteleError(
        "unauthenticated",
        `The server certificate of ${endpoint} does not name the address dialled: ${tlsReason(text)}`,
        "Dial the node by a name or address its certificate lists, or add this one to the machine config's certSANs",
        cause,
      );
    }
    if (SERVER_EXPIRED.test(text)) {
      return new SteleError(
        "unauthenticated",
        `The server certificate of ${endpoint} has expired`,
        "Check the node's clock and this machine's; the node renews its certificate at boot",
        cause,
      );
    }
    for (const [pattern, reason] of NETWORK) {
      if (pattern.test(text)) {
        return new SteleError(
          "unavailable",
          `Cannot reach endpoint ${endpoint}: ${reason}`,
          "Check that the node is up and apid listens there, or pass another endpoint with --endpoints",
          cause,
        );
      }
    }
    if (code === status.UNAVAILABLE && !TRANSPORT.test(text)) {
      // The node itself answered UNAVAILABLE (a service it needs is down): its words, not ours.
      return new SteleError("unavailable", text, serverHint, cause);
    }
    const refused = options.context
      ? diagnoseClientCertificate(options.context.crt, { ca: options.context.ca, now: options.now })
      : undefined;
    if (refused !== undefined) {
      return new SteleError(
        "unauthenticated",
        `${endpoint} refused the client certificate: ${refused.replace(/^The/, "the")}`,
        "Use a client config of this cluster: `stelectl config merge` the stelectlconfig `gen config` wrote, or mint one with `stelectl config new`",
        cause,
      );
    }
    if (code === status.UNAVAILABLE) {
      return new SteleError(
        "unavailable",
        `Cannot reach endpoint ${endpoint}: ${/ECONNRESET/.test(text) ? "connection reset" : text}`,
        serverHint ??
          "Check that the node is up and apid listens there, or pass another endpoint with --endpoints",
        cause,
      );
    }
  }
  if (code === status.PERMISSION_DENIED) {
    return new SteleError(
      "permission-denied",
      text,
      serverHint ??
        "Use a client config with the role named above: an admin mints one with `stelectl config new --roles <role>`",
      cause,
    );
  }
  if (code === status.UNIMPLEMENTED) {
    return new SteleError(
      "failed-precondition",
      `${endpoint} does not implement this call: ${text}`,
      "The node runs another Stele release; compare with `stelectl version`",
      cause,
    );
  }
  if (code === status.DEADLINE_EXCEEDED) {
    return new SteleError("unavailable", `Call to ${endpoint} timed out: ${text}`, serverHint, cause);
  }
  return new SteleError(CODES[code] ?? "internal", text, serverHint, cause);
}

/** The reason OpenSSL or Node gave, without grpc-js's "No connection established. Last error:" wrapping. */
function tlsReason(text: string): string {
  return text
    .replace(/^.*Last error: /s, "")
    .replace(/^Error( \[\w+\])?: /, "")
    .replace(/\.? Resolution note:.*$/s, "");
}
