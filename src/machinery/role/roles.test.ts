import assert from "node:assert/strict";
import { test } from "node:test";
import { isSteleError } from "../errors.ts";
import { parseRoles, ROLE_DESCRIPTIONS, ROLES, rolesFromOrganizations } from "./roles.ts";

test("parses a comma-separated list, trimming and keeping each role once", () => {
  assert.deepEqual(parseRoles(" os:reader, os:etcd:backup,,os:reader "), ["os:reader", "os:etcd:backup"]);
  assert.deepEqual(parseRoles(["os:admin"]), ["os:admin"]);
  assert.deepEqual(parseRoles(""), []);
});

for (const unknown of ["os:root", "admin", "OS:ADMIN", "os:admin "]) {
  const input = `os:reader,${unknown}`;
  const expected = unknown.trim();
  const isValid = (ROLES as readonly string[]).includes(expected);
  test(`${isValid ? "accepts" : "refuses"} ${JSON.stringify(unknown)}${isValid ? "" : ", listing the valid roles"}`, () => {
    if (isValid) {
      assert.deepEqual(parseRoles(input), ["os:reader", expected]);
      return;
    }
    assert.throws(
      () => parseRoles(input),
      (error: unknown) =>
        isSteleError(error) &&
        error.code === "invalid-argument" &&
        error.message ===
          `Unknown role ${JSON.stringify(expected)}: valid roles are os:admin, os:operator, os:reader, os:etcd:backup` &&
        error.hint !== undefined,
    );
  });
}

test("organizations that are not roles grant nothing", () => {
  assert.deepEqual(rolesFromOrganizations(["ACME Corp", "os:reader", "os:admin", "os:reader", "os:root"]), [
    "os:reader",
    "os:admin",
  ]);
  assert.deepEqual(rolesFromOrganizations([]), []);
});

test("every role has a description for help texts", () => {
  for (const role of ROLES) assert.ok(ROLE_DESCRIPTIONS[role].length > 10, role);
});
