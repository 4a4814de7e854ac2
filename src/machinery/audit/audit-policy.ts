import { SteleError } from "../errors.ts";

/**
 * What the audit enforces beyond the fixed rules: choices that differ between organisations. The
 * defaults suit a cluster built by `stelectl gen`; a bank tightens them.
 */
export interface AuditPolicy {
  /**
   * Require the OS CA to come from the company's PKI (seed: "issue your own certificate based on
   * the company's certificate; add the company's Certificate Authority to every node").
   */
  requireCompanyCA?: boolean;
  /**
   * Longest allowed certificate validity, in days: `ca` for certificate authorities (default 3650,
   * the ten years Stele, Talos and kubeadm give their roots) and `leaf` for the others (default
   * 398, the CA/Browser Forum's limit for TLS server certificates).
   */
  maxCertificateTtlDays?: { ca: number; leaf: number };
}

/** An AuditPolicy with every default applied. */
export interface ResolvedAuditPolicy {
  requireCompanyCA: boolean;
  maxCertificateTtlDays: { ca: number; leaf: number };
}

/** The defaults of AuditPolicy. */
export const DEFAULT_AUDIT_POLICY: ResolvedAuditPolicy = {
  requireCompanyCA: false,
  maxCertificateTtlDays: { ca: 3650, leaf: 398 },
};

/**
 * Applies the defaults and checks the limits, so a policy typo (a negative or fractional number of
 * days) is refused instead of silently passing or failing every certificate.
 */
export function resolveAuditPolicy(policy: AuditPolicy = {}): ResolvedAuditPolicy {
  const ttl = policy.maxCertificateTtlDays ?? DEFAULT_AUDIT_POLICY.maxCertificateTtlDays;
  for (const kind of ["ca", "leaf"] as const) {
    const days = ttl[kind];
    if (!Number.isInteger(days) || days <= 0) {
      throw new SteleError(
        "invalid-argument",
        `Audit policy is not valid: maxCertificateTtlDays.${kind} must be a positive whole number of days, got ${JSON.stringify(days)}`,
        `give a number of days, e.g. ${DEFAULT_AUDIT_POLICY.maxCertificateTtlDays[kind]}`,
      );
    }
  }
  return {
    requireCompanyCA: policy.requireCompanyCA ?? false,
    maxCertificateTtlDays: { ca: ttl.ca, leaf: ttl.leaf },
  };
}
