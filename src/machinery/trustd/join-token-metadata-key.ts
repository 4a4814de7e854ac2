/**
 * The gRPC metadata key a joining node sends the cluster's join token in, as
 * `api/security/v1alpha1/security.proto` specifies. Metadata rather than a request field, so a dump of
 * request messages (audit log, debug output) never contains the secret.
 */
export const JOIN_TOKEN_METADATA_KEY = "token";
