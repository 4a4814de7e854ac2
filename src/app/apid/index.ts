/**
 * apid's mutual-TLS edge: TLS 1.3 credentials, the caller's identity from its client certificate,
 * role-based admission of every call and the one mapping from SteleError to gRPC status. The
 * daemon and the forwarding to machined build on these exports only.
 */
export {
  type Admission,
  type AuthorizeCallOptions,
  type Authorizer,
  admitCall,
  authorizeCall,
} from "./authorize-call.ts";
export { certificateFingerprint } from "./certificate-fingerprint.ts";
export {
  type EdgeLogger,
  type EffectiveRoles,
  effectiveRoles,
  FORWARDED_ROLES_METADATA_KEY,
} from "./forwarded-roles.ts";
export { IMPERSONATOR_ROLE } from "./impersonator-role.ts";
export {
  type CallWithAuthContext,
  type PeerIdentity,
  type PeerIdentityOptions,
  peerIdentity,
} from "./peer-identity.ts";
export {
  type SelfSignedServerIdentity,
  type SelfSignedServerIdentityOptions,
  selfSignedServerIdentity,
} from "./self-signed-server-identity.ts";
export { type ServerCredentialsOptions, serverCredentials } from "./server-credentials.ts";
export { HINT_METADATA_KEY, toGrpcStatus } from "./to-grpc-status.ts";
