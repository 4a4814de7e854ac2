import type { AuditRule } from "./audit-rule.ts";
import {
  caReusedAcrossClustersRule,
  caReusedAcrossSectionsRule,
  companyCaMissingRule,
} from "./certificate-authority-rules.ts";
import {
  certificateExpiredRule,
  certificateExpiringRule,
  certificateValidityTooLongRule,
} from "./certificate-lifetime-rules.ts";
import {
  developmentSigningKeyRule,
  extensionReviewRule,
  extensionVerificationOffRule,
  noTrustedKeysRule,
} from "./extension-rules.ts";
import { weakKeyAlgorithmRule } from "./key-strength-rules.ts";
import {
  apiserverAlwaysAllowRule,
  apiserverAnonymousAuthRule,
  apiserverInsecureServingRule,
  kubeletAlwaysAllowRule,
  kubeletAnonymousAuthRule,
  kubeletProtectKernelDefaultsRule,
  kubeletReadOnlyPortRule,
  profilingEnabledRule,
  secretsNotEncryptedAtRestRule,
} from "./kubernetes-rules.ts";
import {
  debugEnabledRule,
  extKeyUsageCheckDisabledRule,
  rbacDisabledRule,
  wipeOnInstallRule,
} from "./machine-rules.ts";
import { secretOnWorkerRule } from "./secret-rules.ts";
import { pemUnreadableRule } from "./unreadable-pem-rule.ts";

/**
 * The rule table of `stelectl audit`: every hardening rule, in the order the reference lists them.
 * The first ones come from the seed's hardening recommendations (debug, RBAC, key checking,
 * certificates, extensions), the Kubernetes ones from the CIS Kubernetes Benchmark.
 *
 * | id                                    | severity       | checks                                                     |
 * |---------------------------------------|----------------|------------------------------------------------------------|
 * | debug-enabled                         | high           | MachineConfig debug: true                                  |
 * | rbac-disabled                         | critical       | features.rbac: false                                       |
 * | ext-key-usage-check-disabled          | high           | features.apidCheckExtKeyUsage: false                       |
 * | wipe-on-install                       | low            | install.wipe: true                                         |
 * | secret-on-worker                      | critical       | CA / service-account / encryption key on a worker (+cross) |
 * | weak-key-algorithm                    | high           | RSA < 3072, curve not P-256/P-384/Ed25519, SHA-1/MD5 sig.  |
 * | ca-reused-across-sections             | critical       | one CA or key for two of os/kubernetes/etcd/aggregator/SA  |
 * | ca-reused-across-clusters             | high           | one CA or key in two clusters (cross-file only)            |
 * | certificate-validity-too-long         | medium         | CA > policy.ca days, leaf > policy.leaf days               |
 * | certificate-expired                   | high           | notAfter in the past                                       |
 * | certificate-expiring                  | medium         | fewer than 30 days left                                    |
 * | company-ca-missing                    | high           | policy.requireCompanyCA: self-signed OS CA, no roots       |
 * | pem-unreadable                        | medium         | a certificate or key that does not parse                   |
 * | extension-verification-off            | critical       | TrustedKeysConfig verify: false, or extensions w/o keys doc|
 * | no-trusted-keys                       | high or info   | verify on, keys empty: high with extensions, else info     |
 * | development-signing-key               | high           | a trusted key named stele-development (or dev/test)        |
 * | extension-review                      | info           | one per extension: privileged, needs review                |
 * | apiserver-anonymous-auth              | high           | CIS 1.2.1                                                  |
 * | apiserver-authorization-always-allow  | critical       | CIS 1.2.6                                                  |
 * | apiserver-insecure-serving            | critical       | --insecure-port (not 0) / --insecure-bind-address          |
 * | profiling-enabled                     | medium         | CIS 1.3.2, 1.4.1 and the API server's profiling            |
 * | secrets-not-encrypted-at-rest         | high           | control plane without secretbox key / encryption config    |
 * | kubelet-anonymous-auth                | high           | CIS 4.2.1                                                  |
 * | kubelet-authorization-always-allow    | critical       | CIS 4.2.2                                                  |
 * | kubelet-read-only-port                | high           | CIS 4.2.4                                                  |
 * | kubelet-protect-kernel-defaults       | info           | protectKernelDefaults turned off                           |
 *
 * Exit codes of `stelectl audit` (exitCodeFor): 0 = no findings or info only, 1 = worst is low or
 * medium, 2 = worst is high, 3 = worst is critical.
 */
export const AUDIT_RULES: readonly AuditRule[] = [
  debugEnabledRule,
  rbacDisabledRule,
  extKeyUsageCheckDisabledRule,
  wipeOnInstallRule,
  secretOnWorkerRule,
  weakKeyAlgorithmRule,
  caReusedAcrossSectionsRule,
  caReusedAcrossClustersRule,
  certificateValidityTooLongRule,
  certificateExpiredRule,
  certificateExpiringRule,
  companyCaMissingRule,
  pemUnreadableRule,
  extensionVerificationOffRule,
  noTrustedKeysRule,
  developmentSigningKeyRule,
  extensionReviewRule,
  apiserverAnonymousAuthRule,
  apiserverAlwaysAllowRule,
  apiserverInsecureServingRule,
  profilingEnabledRule,
  secretsNotEncryptedAtRestRule,
  kubeletAnonymousAuthRule,
  kubeletAlwaysAllowRule,
  kubeletReadOnlyPortRule,
  kubeletProtectKernelDefaultsRule,
];
