import { Metadata, type ServerErrorResponse, status } from "@grpc/grpc-js";
import { type ErrorCode, isSteleError } from "../../machinery/errors.ts";

/** The trailer a refused call carries its hint in, the same key apid uses, so stelectl prints it alike. */
export const HINT_METADATA_KEY = "x-stele-hint";

/**
 * Every SteleError code and the gRPC status it becomes. Same table as apid's except `busy`: trustd
 * raises it only when a peer has made too many failed attempts, which is what RESOURCE_EXHAUSTED
 * means to gRPC clients (apid's `busy` is "another sequence holds the node", hence ABORTED there).
 */
const GRPC_CODES: Readonly<Record<ErrorCode, status>> = {
  "invalid-argument": status.INVALID_ARGUMENT,
  "invalid-config": status.INVALID_ARGUMENT,
  "not-found": status.NOT_FOUND,
  "already-exists": status.ALREADY_EXISTS,
  "permission-denied": status.PERMISSION_DENIED,
  unauthenticated: status.UNAUTHENTICATED,
  "failed-precondition": status.FAILED_PRECONDITION,
  busy: status.RESOURCE_EXHAUSTED,
  unavailable: status.UNAVAILABLE,
  io: status.INTERNAL,
  internal: status.INTERNAL,
};

/**
 * Turns what trustd's handler failed with into the error grpc-js sends: a SteleError keeps its
 * message and its hint (as the `x-stele-hint` trailer); anything else becomes INTERNAL with a fixed
 * message, because an unexpected error's text may hold paths or key material a remote caller has no
 * business reading.
 */
export function toGrpcStatus(error: unknown): ServerErrorResponse {
  const metadata = new Metadata();
  if (isSteleError(error)) {
    if (error.hint !== undefined) metadata.set(HINT_METADATA_KEY, error.hint);
    return Object.assign(new Error(error.message), {
      code: GRPC_CODES[error.code],
      details: error.message,
      metadata,
    });
  }
  const details = "Internal error: trustd failed to handle the request";
  metadata.set(HINT_METADATA_KEY, "Read trustd's logs on the control-plane node (stelectl logs trustd)");
  return Object.assign(new Error(details), { code: status.INTERNAL, details, metadata });
}
