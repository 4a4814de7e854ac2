import { Metadata, type ServerErrorResponse, status } from "@grpc/grpc-js";
import { type ErrorCode, isSteleError } from "../../machinery/errors.ts";

/**
 * The trailer a refused call carries its hint in, so stelectl can print the `hint:` line under
 * the error as it does for local errors.
 */
export const HINT_METADATA_KEY = "x-stele-hint";

/**
 * Every SteleError code and the gRPC status it becomes. A Record over the closed union, so adding
 * a code to SteleError fails the type check here until someone decides its status.
 */
const GRPC_CODES: Readonly<Record<ErrorCode, status>> = {
  "invalid-argument": status.INVALID_ARGUMENT,
  "invalid-config": status.INVALID_ARGUMENT,
  "not-found": status.NOT_FOUND,
  "already-exists": status.ALREADY_EXISTS,
  "permission-denied": status.PERMISSION_DENIED,
  unauthenticated: status.UNAUTHENTICATED,
  "failed-precondition": status.FAILED_PRECONDITION,
  // Another sequence holds the node: the client may retry the whole operation later, which is
  // what ABORTED means to gRPC clients (UNAVAILABLE would invite an immediate blind retry).
  busy: status.ABORTED,
  unavailable: status.UNAVAILABLE,
  io: status.INTERNAL,
  internal: status.INTERNAL,
};

/**
 * Turns whatever a handler failed with into the error grpc-js sends: a SteleError keeps its message
 * as the status details and its hint as the `x-stele-hint` trailer; an error that already carries
 * a gRPC status (a reply forwarded from machined) passes through unchanged; anything else becomes
 * INTERNAL with a fixed message, because an unexpected error's text may hold paths or secrets
 * that a remote client has no business reading. This is the only place that knows gRPC codes.
 */
export function toGrpcStatus(error: unknown): ServerErrorResponse {
  if (isSteleError(error)) {
    const metadata = new Metadata();
    if (error.hint !== undefined) metadata.set(HINT_METADATA_KEY, error.hint);
    return Object.assign(new Error(error.message), {
      code: GRPC_CODES[error.code],
      details: error.message,
      metadata,
    });
  }
  if (isGrpcStatusError(error)) return error;
  const details = "Internal error: the node failed to handle the request";
  const metadata = new Metadata();
  metadata.set(HINT_METADATA_KEY, "Read apid's and machined's logs on the node (stelectl logs apid)");
  return Object.assign(new Error(details), { code: status.INTERNAL, details, metadata });
}

function isGrpcStatusError(error: unknown): error is ServerErrorResponse {
  if (!(error instanceof Error)) return false;
  const { code, details } = error as { code?: unknown; details?: unknown };
  return (
    typeof code === "number" &&
    Number.isInteger(code) &&
    code > status.OK &&
    code <= status.UNAUTHENTICATED &&
    typeof details === "string"
  );
}
