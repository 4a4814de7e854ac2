import { createSecureContext } from "node:tls";
import { type ChannelCredentials, credentials } from "@grpc/grpc-js";
import { SteleError } from "../errors.ts";

/**
 * grpc-js channel credentials for dialling trustd: TLS 1.3 only, trusting only the OS CA (PEM) and no
 * client certificate, because a joining worker has none yet; the join token authenticates it instead.
 * Trusting the OS CA alone, not the system roots, is what keeps the token from being sent to anyone
 * but a control plane of this cluster. grpc-js's `createSsl` cannot set the TLS version, hence a
 * secure context.
 */
export function trustdChannelCredentials(caPem: string): ChannelCredentials {
  if (!caPem.includes("-----BEGIN CERTIFICATE-----")) {
    throw new SteleError(
      "invalid-argument",
      "Cannot dial trustd: the OS CA certificate is not a PEM certificate",
      "Pass the OS CA certificate (MachineConfig ca.crt) of the cluster",
    );
  }
  const context = createSecureContext({ ca: caPem, minVersion: "TLSv1.3", maxVersion: "TLSv1.3" });
  return credentials.createFromSecureContext(context);
}
