import { ServerCredentials } from "@grpc/grpc-js";
import { SteleError } from "../errors.ts";

/** Options of `serverCredentials`. */
export interface ServerCredentialsOptions {
  /**
   * The CA certificates (PEM) client certificates must chain to: the cluster's OS CA, plus any extra
   * trusted roots the config names. Several PEM blocks in one string or a list both work. Ignored
   * when `requireClientCert` is false.
   */
  ca: string | readonly string[];
  /** The server's certificate, PEM (its chain may follow the leaf). */
  crt: string;
  /** The server certificate's private key, PEM. */
  key: string;
  /**
   * True for the mutual mode of a configured node: every connection must present a client
   * certificate that verifies against `ca`, or the handshake fails. False only for maintenance
   * mode, where a node without config has no CA to check against yet.
   */
  requireClientCert: boolean;
}

/**
 * grpc-js server credentials for apid: TLS 1.3 only, and in mutual mode a client certificate is
 * required and verified (chain to `ca`, validity dates, and OpenSSL's TLS-client purpose check,
 * which refuses a leaf whose ExtKeyUsage lists only serverAuth) during the handshake itself, so an
 * unauthenticated client never reaches a handler. TLS 1.3 only because it removes the legacy
 * ciphers and renegotiation of 1.2 and encrypts the client certificate, which carries the roles.
 * grpc-js's `createSsl` has no minimum version; this subclass hands the TLS options to grpc-js
 * directly, as `createSsl` does internally.
 */
export function serverCredentials(options: ServerCredentialsOptions): ServerCredentials {
  const ca = typeof options.ca === "string" ? [options.ca] : [...options.ca];
  if (options.requireClientCert && ca.every((pem) => !pem.includes("-----BEGIN CERTIFICATE-----"))) {
    throw new SteleError(
      "invalid-argument",
      "Cannot serve mutual TLS: no CA certificate to verify client certificates against",
      "Pass the OS CA certificate (PEM) of the cluster, or use maintenance mode for a node without config",
    );
  }
  return new Tls13ServerCredentials(options.requireClientCert, {
    ...(options.requireClientCert ? { ca } : {}),
    cert: options.crt,
    key: options.key,
  });
}

class Tls13ServerCredentials extends ServerCredentials {
  constructor(requireClientCert: boolean, context: { ca?: string[]; cert: string; key: string }) {
    super(
      {
        requestCert: requireClientCert,
        rejectUnauthorized: requireClientCert,
        minVersion: "TLSv1.3",
        maxVersion: "TLSv1.3",
      },
      context,
    );
  }

  // grpc-js compares credentials when a port is bound twice; only the same object is the same setup.
  override _equals(other: ServerCredentials): boolean {
    return other === this;
  }
}
