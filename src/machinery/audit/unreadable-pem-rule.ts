import type { AuditRule } from "./audit-rule.ts";
import { fieldLabel, pemLabel } from "./field-label.ts";

/**
 * A certificate or key that cannot be read. The audit cannot vouch for what it cannot read, and
 * saying nothing would look like a pass.
 */
export const pemUnreadableRule: AuditRule = {
  id: "pem-unreadable",
  severity: "medium",
  title: "Certificate or key cannot be read",
  why: "A certificate or key the audit cannot read is not audited at all, and the node will refuse or misuse it; `stelectl validate` explains the defect in detail.",
  check(context) {
    for (const entry of context.pem) {
      if (entry.content.kind !== "unreadable") continue;
      context.report(entry.document, {
        path: entry.path,
        message: `the ${pemLabel(entry)} cannot be read, so it was not audited: ${entry.content.reason}`,
        fix: `paste the PEM of ${fieldLabel(entry.document, entry.path)} again, whole, from its source (the secrets bundle for CAs), then run \`stelectl validate\``,
      });
    }
  },
};
