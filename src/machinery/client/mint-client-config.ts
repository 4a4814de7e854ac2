import { SteleError } from "../errors.ts";
import type { CertificateAndKey } from "../pki/certificate-and-key.ts";
import { issueCertificate } from "../pki/issue-certificate.ts";
import type { Role } from "../role/roles.ts";
import type { ClientConfig } from "./client-config.ts";

/** Lifetime of a minted client certificate when none is given: one year, as for the admin's. */
export const DEFAULT_CLIENT_CERTIFICATE_TTL_MS = 365 * 24 * 3_600_000;

/** The CommonName of minted client certificates unless another is given. */
export const DEFAULT_CLIENT_COMMON_NAME = "stelectl";

/** Options of `mintClientConfig`. */
export interface MintClientConfigOptions {
  /** The OS API CA, from the secrets bundle. */
  osCA: CertificateAndKey;
  /** The roles the certificate grants; at least one. */
  roles: readonly Role[];
  /** Lifetime of the client certificate; one year by default. */
  ttlMs?: number;
  contextName: string;
  endpoints: readonly string[];
  nodes?: readonly string[];
  commonName?: string;
  now?: Date;
}

/**
 * Creates a client config with one context holding a fresh client certificate from the OS API CA:
 * an Ed25519 key, one Organization per role (how apid reads roles) and ExtKeyUsage clientAuth
 * only, so the credential cannot pose as a server. An empty role list is refused: such a
 * certificate could call nothing and would only confuse whoever received it.
 */
export async function mintClientConfig(options: MintClientConfigOptions): Promise<ClientConfig> {
  if (options.roles.length === 0) {
    throw new SteleError(
      "invalid-argument",
      "Cannot mint a client config: no roles given",
      "Give at least one role, e.g. --roles os:reader",
    );
  }
  if (options.contextName.trim() === "") {
    throw new SteleError(
      "invalid-argument",
      "Cannot mint a client config: the context name is empty",
      "Give a context name, usually the cluster's",
    );
  }
  const issued = await issueCertificate({
    ca: options.osCA,
    caLabel: "the OS CA",
    commonName: options.commonName ?? DEFAULT_CLIENT_COMMON_NAME,
    organizations: [...new Set(options.roles)],
    usage: "client",
    algorithm: "ed25519",
    ttlMs: options.ttlMs ?? DEFAULT_CLIENT_CERTIFICATE_TTL_MS,
    ...(options.now ? { now: options.now } : {}),
  });
  return {
    context: options.contextName,
    contexts: {
      [options.contextName]: {
        endpoints: [...options.endpoints],
        nodes: [...(options.nodes ?? [])],
        ca: options.osCA.crt,
        crt: issued.crt,
        key: issued.key!,
      },
    },
  };
}
