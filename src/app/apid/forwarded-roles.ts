import type { Metadata } from "@grpc/grpc-js";
import { FORWARDED_ROLES_METADATA_KEY } from "../../machinery/grpc/metadata-keys.ts";
import { isRole, type Role } from "../../machinery/role/roles.ts";
import { IMPERSONATOR_ROLE } from "./impersonator-role.ts";
import type { PeerIdentity } from "./peer-identity.ts";

export { FORWARDED_ROLES_METADATA_KEY };

/** What `effectiveRoles` logs to: structured fields first, as the runtime's Logger (and pino) take them. */
export interface EdgeLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

/** The roles a call is authorized with, and whether they came from a forwarding peer. */
export interface EffectiveRoles {
  roles: Role[];
  forwarded: boolean;
}

/**
 * The roles to authorize a call with. From an `os:impersonator` peer that sends
 * `x-stele-forwarded-roles`, the forwarded roles, kept only where they are valid roles (an unknown
 * one grants nothing and is logged). From anyone else the header is ignored, and logged, because
 * a client that could name its own roles would make the certificate's Organization meaningless.
 */
export function effectiveRoles(
  identity: PeerIdentity,
  metadata: Metadata,
  options: { logger?: EdgeLogger } = {},
): EffectiveRoles {
  const values = metadata.get(FORWARDED_ROLES_METADATA_KEY);
  if (values.length === 0) return { roles: identity.roles, forwarded: false };
  const requested = values
    .flatMap((value) => String(value).split(","))
    .map((item) => item.trim())
    .filter((item) => item !== "");
  if (!identity.impersonator) {
    options.logger?.warn(
      { peer: identity.commonName, fingerprint: identity.certificateFingerprint, requested },
      `Ignored ${FORWARDED_ROLES_METADATA_KEY}: the client certificate does not carry ${IMPERSONATOR_ROLE}`,
    );
    return { roles: identity.roles, forwarded: false };
  }
  const roles: Role[] = [];
  for (const item of requested) if (isRole(item) && !roles.includes(item)) roles.push(item);
  const dropped = requested.filter((item) => !isRole(item));
  if (dropped.length > 0) {
    options.logger?.warn(
      { peer: identity.commonName, dropped },
      `Dropped unknown forwarded roles: ${dropped.join(", ")}`,
    );
  }
  return { roles, forwarded: true };
}
