import type { AuditRule } from "./audit-rule.ts";
import { fieldLabel, pemLabel } from "./field-label.ts";

const DAY_MS = 24 * 3_600_000;

/** A certificate with fewer days than this left is reported as expiring. */
export const EXPIRING_WITHIN_DAYS = 30;

function date(value: Date): string {
  return value.toISOString().slice(0, 10);
}

/**
 * Certificates valid for longer than the policy allows: CAs beyond `maxCertificateTtlDays.ca`,
 * others beyond `.leaf`. Validity counts whole days, so a certificate backdated by a minute for
 * clock skew (as Stele's are) is not a day too long. Trust bundles are skipped: those roots belong
 * to someone else, whose lifetime policy is theirs.
 */
export const certificateValidityTooLongRule: AuditRule = {
  id: "certificate-validity-too-long",
  severity: "medium",
  title: "Certificate valid for longer than the policy allows",
  why: "A long-lived certificate outlives the algorithms, people and processes that vouched for it, and a stolen key stays useful for as long; bounded lifetimes force a tested renewal path.",
  check(context) {
    const limits = context.policy.maxCertificateTtlDays;
    for (const entry of context.pem) {
      const { content } = entry;
      if (content.kind !== "certificate" || entry.trustBundle) continue;
      const { notBefore, notAfter, isCA } = content.info;
      const days = Math.floor((notAfter.getTime() - notBefore.getTime()) / DAY_MS);
      const limit = isCA ? limits.ca : limits.leaf;
      if (days <= limit) continue;
      const policyField = isCA ? "maxCertificateTtlDays.ca" : "maxCertificateTtlDays.leaf";
      context.report(entry.document, {
        path: entry.path,
        message: `the ${pemLabel(entry)} is valid for ${days} days (${date(notBefore)} to ${date(notAfter)}): more than the ${limit} days allowed for ${isCA ? "a CA" : "a leaf certificate"}`,
        fix: `re-issue ${fieldLabel(entry.document, entry.path)} valid for at most ${limit} days, or raise ${policyField} in the audit policy if the longer life is deliberate`,
      });
    }
  },
};

/** Certificates past their notAfter, trust bundles included: TLS with them fails today. */
export const certificateExpiredRule: AuditRule = {
  id: "certificate-expired",
  severity: "high",
  title: "Certificate expired",
  why: "An expired CA or root makes every TLS handshake that relies on it fail, and pressure to restore service is when verification gets switched off; renew before expiry instead.",
  check(context) {
    for (const entry of context.pem) {
      const { content } = entry;
      if (content.kind !== "certificate") continue;
      const { notAfter } = content.info;
      if (notAfter.getTime() >= context.now.getTime()) continue;
      const days = Math.floor((context.now.getTime() - notAfter.getTime()) / DAY_MS);
      context.report(entry.document, {
        path: entry.path,
        message: `the ${pemLabel(entry)} expired on ${notAfter.toISOString()} (${days} day${days === 1 ? "" : "s"} ago)`,
        fix: renewFix(entry.trustBundle, fieldLabel(entry.document, entry.path)),
      });
    }
  },
};

/** Certificates with fewer than EXPIRING_WITHIN_DAYS days left. */
export const certificateExpiringRule: AuditRule = {
  id: "certificate-expiring",
  severity: "medium",
  title: `Certificate expires within ${EXPIRING_WITHIN_DAYS} days`,
  why: "A certificate that expires soon breaks TLS on that day unless a renewal is rolled out to every node first, which takes longer than it seems.",
  check(context) {
    for (const entry of context.pem) {
      const { content } = entry;
      if (content.kind !== "certificate") continue;
      const left = content.info.notAfter.getTime() - context.now.getTime();
      if (left < 0 || left >= EXPIRING_WITHIN_DAYS * DAY_MS) continue;
      const days = Math.floor(left / DAY_MS);
      context.report(entry.document, {
        path: entry.path,
        message: `the ${pemLabel(entry)} expires on ${content.info.notAfter.toISOString()}, in ${days} day${days === 1 ? "" : "s"}`,
        fix: renewFix(entry.trustBundle, fieldLabel(entry.document, entry.path)),
      });
    }
  },
};

function renewFix(trustBundle: boolean, field: string): string {
  return trustBundle
    ? `replace the root in ${field} with its successor from its owner, or remove it if nothing uses it`
    : `renew ${field} and roll the new certificate (and what it signed) out to every node`;
}
