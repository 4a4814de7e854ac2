import type { Metadata as ReplyMetadata } from "../../machinery/api/common/v1alpha1/common.ts";
import { type ErrorCode, SteleError } from "../../machinery/errors.ts";

/**
 * The error a node put in a reply's metadata, as a SteleError, or undefined when the node
 * succeeded. apid reports a node it could not forward to this way (the call itself succeeds), so
 * a client that ignored it would print an empty reply as if the node had answered.
 */
export function replyError(metadata: ReplyMetadata | undefined): SteleError | undefined {
  const error = metadata?.error;
  if (error === undefined) return undefined;
  const code = error.code
    .replace(/^ERROR_CODE_/, "")
    .toLowerCase()
    .replaceAll("_", "-");
  const known: readonly ErrorCode[] = [
    "invalid-argument",
    "invalid-config",
    "not-found",
    "already-exists",
    "permission-denied",
    "unauthenticated",
    "failed-precondition",
    "busy",
    "unavailable",
    "io",
  ];
  return new SteleError(
    known.includes(code as ErrorCode) ? (code as ErrorCode) : "internal",
    error.message || "The node reported a failure without a message",
    error.hint || undefined,
  );
}
