import { connect } from "node:tls";
import { SteleError } from "../../machinery/errors.ts";

/** Options of `fetchServerCertificate`. */
export interface FetchServerCertificateOptions {
  /** Gives up after this long; 10 seconds by default. */
  timeoutMs?: number;
}

/**
 * The certificate (PEM) a TLS server presents at `address` (`host:port`), read with a TLS 1.3
 * handshake that trusts nothing and sends nothing after it. Used only to compare a maintenance-mode
 * node's certificate with the fingerprint the operator pinned before any request is sent; the
 * request itself then goes over a connection that accepts that certificate alone.
 */
export function fetchServerCertificate(
  address: string,
  options: FetchServerCertificateOptions = {},
): Promise<string> {
  const { host, port } = splitAddress(address);
  return new Promise((resolve, reject) => {
    const socket = connect({
      host,
      port,
      minVersion: "TLSv1.3",
      rejectUnauthorized: false,
      ALPNProtocols: ["h2"],
      ...(isIpAddress(host) ? {} : { servername: host }),
    });
    socket.setTimeout(options.timeoutMs ?? 10_000, () =>
      socket.destroy(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })),
    );
    socket.once("secureConnect", () => {
      const raw = socket.getPeerCertificate().raw;
      socket.destroy();
      resolve(
        `-----BEGIN CERTIFICATE-----\n${raw.toString("base64").replace(/.{1,64}/g, "$&\n")}-----END CERTIFICATE-----\n`,
      );
    });
    socket.once("error", (error: NodeJS.ErrnoException) => {
      const reason = error.code === "ECONNREFUSED" ? "connection refused" : error.message;
      reject(
        new SteleError(
          "unavailable",
          `Cannot reach endpoint ${address}: ${reason}`,
          "Check that the node is up and shows the maintenance-mode fingerprint on its console, and the address",
          { cause: error },
        ),
      );
    });
  });
}

function splitAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(":");
  return { host: address.slice(0, at).replace(/^\[|\]$/g, ""), port: Number(address.slice(at + 1)) };
}

function isIpAddress(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(":");
}
