import type { PeerCertificate } from "node:tls";
import { createSecureContext } from "node:tls";
import { type ChannelCredentials, credentials } from "@grpc/grpc-js";
import type { ClientContext } from "../../machinery/client/index.ts";
import { certificateFingerprint } from "./apid-contract.ts";

/**
 * grpc-js credentials for mutual TLS with a node: TLS 1.3 only (apid refuses anything older, and
 * a client that offers less only fails later with a vaguer error), the context's client
 * certificate, and the node's server certificate verified against the context's CA and the name
 * dialled. grpc-js's `createSsl` has no minimum version, so the secure context is built here.
 */
export function mutualTlsCredentials(context: Pick<ClientContext, "ca" | "crt" | "key">): ChannelCredentials {
  return credentials.createFromSecureContext(
    createSecureContext({ ca: context.ca, cert: context.crt, key: context.key, minVersion: "TLSv1.3" }),
  );
}

/**
 * grpc-js credentials for a maintenance-mode node, which has no CA yet and serves a self-signed
 * certificate: no client certificate, and the server trusted only if it presents exactly the
 * certificate pinned (`serverCrt`, fetched and matched against the operator's fingerprint first).
 * The certificate is its own trust root, so OpenSSL's chain check passes only for it, and the
 * identity check compares fingerprints instead of names: a node in maintenance mode is often
 * dialled by an address its certificate cannot know yet.
 */
export function pinnedTlsCredentials(serverCrt: string): ChannelCredentials {
  const pinned = certificateFingerprint(serverCrt);
  return credentials.createFromSecureContext(createSecureContext({ ca: serverCrt, minVersion: "TLSv1.3" }), {
    checkServerIdentity: (_host: string, certificate: PeerCertificate) =>
      certificateFingerprint(certificate.raw) === pinned
        ? undefined
        : new Error(
            `server certificate fingerprint ${certificateFingerprint(certificate.raw)} is not the pinned ${pinned}`,
          ),
  });
}
