/**
 * apid: its mutual-TLS edge (TLS 1.3 credentials, the caller's identity from its client certificate,
 * role-based admission of every call, the one mapping from SteleError to gRPC status) and the daemon
 * built on it (the forwarding proxy to machined and to peer apids, and `startApid`; `main.ts` is the entry point).
 */

export { type ServerCredentialsOptions, serverCredentials } from "../../machinery/grpc/server-credentials.ts";
export { certificateFingerprint } from "../../machinery/pki/certificate-fingerprint.ts";
export { type ApidIdentity, type RunningApid, type StartApidOptions, startApid } from "./apid.ts";
export { type ApidLogger, jsonLineLogger } from "./apid-logger.ts";
export { type ApidSubjectAltNamesOptions, apidSubjectAltNames } from "./apid-subject-alt-names.ts";
export { apidTarget } from "./apid-target.ts";
export {
  type Admission,
  type AuthorizeCallOptions,
  type Authorizer,
  admitCall,
  authorizeCall,
} from "./authorize-call.ts";
export {
  type EdgeLogger,
  type EffectiveRoles,
  effectiveRoles,
  FORWARDED_ROLES_METADATA_KEY,
} from "./forwarded-roles.ts";
export {
  createForwardingProxy,
  type ForwardingProxy,
  type ForwardingProxyOptions,
  MAX_MESSAGE_BYTES,
} from "./forwarding-proxy.ts";
export { IMPERSONATOR_ROLE } from "./impersonator-role.ts";
export {
  type ApidCertificates,
  type IssueApidCertificatesOptions,
  issueApidCertificates,
} from "./issue-apid-certificates.ts";
export { type PassthroughMethod, passthroughService } from "./passthrough-service.ts";
export {
  type CallWithAuthContext,
  type PeerIdentity,
  type PeerIdentityOptions,
  peerIdentity,
} from "./peer-identity.ts";
export { CALLER_ROLES_METADATA_KEY, NODE_METADATA_KEY } from "./routing-metadata.ts";
export {
  type SelfSignedServerIdentity,
  type SelfSignedServerIdentityOptions,
  selfSignedServerIdentity,
} from "./self-signed-server-identity.ts";
export {
  createSensitiveResourceGuard,
  type SensitiveResourceGuard,
  type SensitiveResourceGuardOptions,
} from "./sensitive-resource-guard.ts";
export { HINT_METADATA_KEY, toGrpcStatus } from "./to-grpc-status.ts";
