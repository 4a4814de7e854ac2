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
