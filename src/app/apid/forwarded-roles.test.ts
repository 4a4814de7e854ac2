import assert from "node:assert/strict";
import { test } from "node:test";
import { Metadata } from "@grpc/grpc-js";
import { isSteleError } from "../../machinery/errors.ts";
import { parseRoles, ROLES } from "../../machinery/role/roles.ts";
import { effectiveRoles, FORWARDED_ROLES_METADATA_KEY } from "./forwarded-roles.ts";
import { IMPERSONATOR_ROLE } from "./impersonator-role.ts";
import type { PeerIdentity } from "./peer-identity.ts";

const peer = (impersonator: boolean, roles: PeerIdentity["roles"] = []): PeerIdentity => ({
  commonName: "peer",
  roles,
  impersonator,
  certificateFingerprint: "AA:BB",
});

function metadata(...values: string[]): Metadata {
  const result = new Metadata();
  for (const value of values) result.add(FORWARDED_ROLES_METADATA_KEY, value);
  return result;
}

test("os:impersonator can never be minted into a client configuration: parseRoles refuses it", () => {
  assert.equal((ROLES as readonly string[]).includes(IMPERSONATOR_ROLE), false);
  assert.throws(
    () => parseRoles([IMPERSONATOR_ROLE]),
    (error) => isSteleError(error) && error.code === "invalid-argument",
  );
});

test("without the header, the certificate's roles are used", () => {
  assert.deepEqual(effectiveRoles(peer(false, ["os:reader"]), metadata()), {
    roles: ["os:reader"],
    forwarded: false,
  });
});

test("an impersonator's forwarded roles are split, trimmed, deduplicated and kept only when valid", () => {
  const warned: string[] = [];
  const result = effectiveRoles(peer(true), metadata("os:reader, os:bogus", "os:etcd:backup,os:reader,"), {
    logger: { warn: (_fields, message) => warned.push(message) },
  });
  assert.deepEqual(result, { roles: ["os:reader", "os:etcd:backup"], forwarded: true });
  assert.deepEqual(warned, ["Dropped unknown forwarded roles: os:bogus"]);
});

test("an impersonator cannot smuggle itself in: os:impersonator is not a forwardable role", () => {
  assert.deepEqual(effectiveRoles(peer(true), metadata(IMPERSONATOR_ROLE)).roles, []);
});

test("anyone else's header is ignored and logged", () => {
  const warned: Array<Record<string, unknown>> = [];
  const result = effectiveRoles(peer(false, ["os:reader"]), metadata("os:admin"), {
    logger: { warn: (fields) => warned.push(fields) },
  });
  assert.deepEqual(result, { roles: ["os:reader"], forwarded: false });
  assert.deepEqual(warned, [{ peer: "peer", fingerprint: "AA:BB", requested: ["os:admin"] }]);
});
