/**
 * The worker side of joining a cluster: asking a control plane's trustd for the node's apid server
 * certificate with the join token. machined calls `requestCertificate` at boot; trustd shares the
 * metadata key and the backoff with it.
 */
export { JOIN_TOKEN_METADATA_KEY } from "./join-token-metadata-key.ts";
export {
  type CertificateAttempt,
  type RequestCertificateOptions,
  type RequestedCertificate,
  requestCertificate,
} from "./request-certificate.ts";
export { DEFAULT_RETRY_DELAY, type RetryDelayOptions, retryDelay } from "./retry-delay.ts";
export { trustdChannelCredentials } from "./trustd-channel-credentials.ts";
export { trustdTarget } from "./trustd-target.ts";
