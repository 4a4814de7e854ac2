import { Metadata, type ServerErrorResponse, status } from "@grpc/grpc-js";
import { type ErrorCode, isSteleError } from "../../../machinery/errors.ts";

/** The trailer a refused call carries its hint in (the same key apid uses, so it passes through). */
export const HINT_METADATA_KEY = "x-stele-hint";

/**
 * Every SteleError code and the gRPC status it becomes: a Record over the closed union, so a new
 * code fails the type check here until someone decides its status. The same table as apid's:
 * apid forwards machined's statuses unchanged.
 */
const GRPC_CODES: Readonly<Record<ErrorCode, status>> = {
  "invalid-argument": status.INVALID_ARGUMENT,
  "invalid-config": status.INVALID_ARGUMENT,
  "not-found": status.NOT_FOUND,
  "already-exists": status.ALREADY_EXISTS,
  "permission-denied": status.PERMISSION_DENIED,
  unauthenticated: status.UNAUTHENTICATED,
  "failed-precondition": status.FAILED_PRECONDITION,
  // Another sequence holds the node: retry the whole operation later (ABORTED), not at once.
  busy: status.ABORTED,
  unavailable: status.UNAVAILABLE,
  io: status.INTERNAL,
  internal: status.INTERNAL,
};

/**
 * Turns what a handler failed with into the status grpc-js sends: a SteleError keeps its message
 * (the details) and its hint (the `x-stele-hint` trailer); an error that already is a gRPC status
 * passes through; anything else becomes INTERNAL with a fixed message, since its text may hold
 * paths or secrets. The one place in machined that knows gRPC codes.
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
  const details = "Internal error: machined failed to handle the request";
  const metadata = new Metadata();
  metadata.set(HINT_METADATA_KEY, "Read machined's log on the node (stelectl logs machined)");
  return Object.assign(new Error(details), { code: status.INTERNAL, details, metadata });
}

/** A gRPC status for a method this machined does not implement yet. */
export function unimplemented(method: string): ServerErrorResponse {
  const details = `Not implemented by this node: ${method}`;
  return Object.assign(new Error(details), { code: status.UNIMPLEMENTED, details, metadata: new Metadata() });
}

function isGrpcStatusError(error: unknown): error is ServerErrorResponse {
  if (!(error instanceof Error)) return false;
  const { code, details } = error as { code?: unknown; details?: unknown };
  return (
    typeof code === "number" &&
    code > status.OK &&
    code <= status.UNAUTHENTICATED &&
    typeof details === "string"
  );
}
