import { ServerCredentials } from "@grpc/grpc-js";
import type { CertificateAndKey } from "../../machinery/pki/index.ts";

/**
 * grpc-js server credentials for trustd: TLS 1.3 only and server authentication only, since a joining
 * worker has no client certificate yet (the join token, checked per call, authenticates it). TLS 1.3
 * for the same reasons as apid: no legacy ciphers or renegotiation. grpc-js's `createSsl` has no
 * minimum version, so this subclass hands the TLS options to grpc-js directly, as `createSsl` does
 * internally. apid has the same helper for mutual TLS; both would fit one shared module (see the
 * trustd report), but a daemon may not import another daemon.
 */
export function trustdServerCredentials(identity: CertificateAndKey): ServerCredentials {
  return new Tls13ServerCredentials(identity);
}

class Tls13ServerCredentials extends ServerCredentials {
  constructor(identity: CertificateAndKey) {
    super(
      { requestCert: false, rejectUnauthorized: false, minVersion: "TLSv1.3", maxVersion: "TLSv1.3" },
      { cert: identity.crt, key: identity.key },
    );
  }

  // grpc-js compares credentials when a port is bound twice; only the same object is the same setup.
  override _equals(other: ServerCredentials): boolean {
    return other === this;
  }
}
