import { Metadata, type ServerErrorResponse, status } from "@grpc/grpc-js";
import { type ErrorCode, isSteleError } from "../errors.ts";
import { encodeHint, HINT_METADATA_KEY } from "./metadata-keys.ts";

/**
 * Every SteleError code and the gRPC status it becomes. A Record over the closed union, so adding a
 * code to SteleError fails the type check here until someone decides its status.
 */
const GRPC_CODES: Readonly<Record<ErrorCode, status>> = {
  "invalid-argument": status.INVALID_ARGUMENT,
  "invalid-config": status.INVALID_ARGUMENT,
  "not-found": status.NOT_FOUND,
  "already-exists": status.ALREADY_EXISTS,
  "permission-denied": status.PERMISSION_DENIED,
  unauthenticated: status.UNAUTHENTICATED,
  "failed-precondition": status.FAILED_PRECONDITION,
  // Another sequence holds the node: the client may retry the whole operation later, which is what
  // ABORTED means to gRPC clients (UNAVAILABLE would invite an immediate blind retry).
  busy: status.ABORTED,
  unavailable: status.UNAVAILABLE,
  io: status.INTERNAL,
  internal: status.INTERNAL,
};

/** Who is answering, for the fixed message of an unexpected error, and where its logs are. */
export interface GrpcStatusOptions {
  /** `apid`, `machined`, `trustd`. */
  component: string;
  /** Where to look, e.g. "Read machined's log on the node (stelectl logs machined)". */
  logsHint: string;
  /** Codes that mean something else for this component (trustd's `busy` is a rate limit). */
  overrides?: Partial<Record<ErrorCode, status>>;
}

/**
 * Turns whatever a handler failed with into the error grpc-js sends. A SteleError keeps its message
 * as the status details and its hint as the `x-stele-hint` trailer; an error that already carries a
 * gRPC status (a reply forwarded from machined) passes through unchanged; anything else becomes
 * INTERNAL with a fixed message, because an unexpected error's text may hold paths or key material
 * that a remote client has no business reading. The only place that maps Stele errors to gRPC.
 */
export function toGrpcStatus(error: unknown, options: GrpcStatusOptions): ServerErrorResponse {
  if (isSteleError(error)) {
    const metadata = new Metadata();
    if (error.hint !== undefined) metadata.set(HINT_METADATA_KEY, encodeHint(error.hint));
    return Object.assign(new Error(error.message), {
      code: options.overrides?.[error.code] ?? GRPC_CODES[error.code],
      details: error.message,
      metadata,
    });
  }
  if (isGrpcStatusError(error)) return error;
  const details = `Internal error: ${options.component} failed to handle the request`;
  const metadata = new Metadata();
  metadata.set(HINT_METADATA_KEY, encodeHint(options.logsHint));
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
