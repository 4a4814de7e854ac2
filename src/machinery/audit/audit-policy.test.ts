import assert from "node:assert/strict";
import { test } from "node:test";
import { isSteleError } from "../errors.ts";
import { DEFAULT_AUDIT_POLICY, resolveAuditPolicy } from "./audit-policy.ts";

test("an empty policy gets the defaults: no company CA required, 3650 / 398 days", () => {
  assert.deepEqual(resolveAuditPolicy(), DEFAULT_AUDIT_POLICY);
  assert.deepEqual(resolveAuditPolicy({}), {
    requireCompanyCA: false,
    maxCertificateTtlDays: { ca: 3650, leaf: 398 },
  });
});

test("a policy keeps what it sets", () => {
  assert.deepEqual(
    resolveAuditPolicy({ requireCompanyCA: true, maxCertificateTtlDays: { ca: 1825, leaf: 90 } }),
    {
      requireCompanyCA: true,
      maxCertificateTtlDays: { ca: 1825, leaf: 90 },
    },
  );
});

for (const [ca, leaf, field] of [
  [0, 398, "ca"],
  [3650, -1, "leaf"],
  [3650.5, 398, "ca"],
  [3650, Number.NaN, "leaf"],
] as const) {
  test(`a policy with ca=${ca} leaf=${leaf} is refused, naming maxCertificateTtlDays.${field}`, () => {
    assert.throws(
      () => resolveAuditPolicy({ maxCertificateTtlDays: { ca, leaf } }),
      (error) =>
        isSteleError(error) &&
        error.code === "invalid-argument" &&
        error.message.startsWith(`Audit policy is not valid: maxCertificateTtlDays.${field} must be`) &&
        error.hint !== undefined,
    );
  });
}
