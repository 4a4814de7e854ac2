/**
 * The gRPC metadata keys of Stele's API, in one place because both ends of each (stelectl, apid,
 * machined, trustd) must agree on them and no daemon may import another.
 */

/** Trailer that carries a refused call's hint, so stelectl prints `hint:` under the error. */
export const HINT_METADATA_KEY = "x-stele-hint";

/** Names the node a request is for; apid forwards it one hop to that node's apid. */
export const NODE_METADATA_KEY = "x-stele-node";

/** The caller's roles, as apid passes them to machined over the local socket (for its logs). */
export const CALLER_ROLES_METADATA_KEY = "x-stele-roles";

/** Roles a forwarding apid vouches for; honoured only from a peer holding `os:impersonator`. */
export const FORWARDED_ROLES_METADATA_KEY = "x-stele-forwarded-roles";

/**
 * A hint as a metadata value: gRPC metadata values must be printable ASCII (grpc-js throws on
 * anything else, which would turn a clear refusal into a crash), so `%` and every byte outside
 * 0x20–0x7e are percent-encoded, as grpc-message encodes status messages. {@link decodeHint} undoes it.
 */
export function encodeHint(hint: string): string {
  return hint.replace(/[^\x20-\x24\x26-\x7e]/gu, (char) => encodeURIComponent(char));
}

/** The hint a {@link encodeHint}d metadata value carries; a value that does not decode is shown as it is. */
export function decodeHint(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
