import { createSecureContext } from "node:tls";
import { credentials, Server } from "@grpc/grpc-js";
import { serverCredentials } from "../../machinery/grpc/server-credentials.ts";
import { authorize, MAINTENANCE_ALLOWED_METHODS } from "../../machinery/role/rbac.ts";
import { addReflection } from "./add-reflection.ts";
import type { ApidLogger } from "./apid-logger.ts";
import { createForwardingProxy, MAX_MESSAGE_BYTES } from "./forwarding-proxy.ts";
import { selfSignedServerIdentity } from "./self-signed-server-identity.ts";

/** apid's TLS identity: a configured node's certificate and the CAs its clients chain to, or maintenance mode. */
export type ApidIdentity =
  | {
      /** The OS CA (and any extra roots) client certificates must chain to, PEM. */
      ca: string | readonly string[];
      /** apid's server certificate, PEM. */
      crt: string;
      key: string;
    }
  | {
      /** No config yet: serve a fresh self-signed certificate and no client certificates. */
      maintenance: true;
      /** Names and addresses to put in the self-signed certificate. */
      hostnames?: readonly string[];
      ips?: readonly string[];
    };

/** Options of `startApid`. */
export interface StartApidOptions {
  /** Where to listen, `host:port`; port 0 picks a free one (tests). */
  listen: string;
  /** Path of machined's unix socket. */
  machinedSocket: string;
  identity: ApidIdentity;
  /**
   * The `os:impersonator` client certificate apid dials other nodes' apids with, for one-hop
   * routing; verified against `identity.ca`. Without it, requests naming another node are refused.
   */
  impersonator?: { crt: string; key: string };
  /** Names and addresses that mean this node, so `x-stele-node` naming one is served locally. */
  localNames?: readonly string[];
  /** The config feature `apidCheckExtKeyUsage` (default true). */
  checkExtKeyUsage?: boolean;
  /** Where the API's `.proto` files are, for gRPC reflection; `API_PROTO_DIR` by default (tests). */
  protoDir?: string;
  logger: ApidLogger;
}

/** A running apid. */
export interface RunningApid {
  /** `host:port` it listens on, with the port actually bound. */
  address: string;
  /** The maintenance-mode certificate's SHA-256 fingerprint (`AB:CD:…`); undefined when configured. */
  fingerprint?: string;
  /** Stops accepting calls, gives those in flight a moment, then ends them, and closes upstream channels. */
  close(): Promise<void>;
}

/** How long close() lets calls in flight finish before it cuts them (a Logs follow never finishes). */
const SHUTDOWN_GRACE_MS = 2_000;

/**
 * Starts apid: the mutual-TLS gRPC server on `listen` that admits every call by the edge and forwards
 * it to machined or, one hop, to another node's apid. In maintenance mode (no config yet) it serves a
 * self-signed certificate without asking for a client certificate, only the methods that let a user
 * inspect the node and give it a config, and logs the certificate's fingerprint, which the user pins
 * with `apply-config --insecure --cert-fingerprint` instead of trusting whoever answers. In both modes
 * it serves gRPC server reflection of the public schema, so standard clients (buf curl, grpcurl) work.
 */
export async function startApid(options: StartApidOptions): Promise<RunningApid> {
  const { logger } = options;
  const maintenance = "maintenance" in options.identity;
  let serverCredentialsValue: ReturnType<typeof serverCredentials>;
  let fingerprint: string | undefined;
  let peers: Parameters<typeof createForwardingProxy>[0]["peers"];
  if ("maintenance" in options.identity) {
    const self = await selfSignedServerIdentity({
      hostnames: options.identity.hostnames ?? [],
      ips: options.identity.ips ?? [],
    });
    fingerprint = self.fingerprint;
    serverCredentialsValue = serverCredentials({
      ca: [],
      crt: self.crt,
      key: self.key,
      requireClientCert: false,
    });
  } else {
    const { ca, crt, key } = options.identity;
    serverCredentialsValue = serverCredentials({ ca, crt, key, requireClientCert: true });
    if (options.impersonator !== undefined) {
      const context = createSecureContext({
        ca: typeof ca === "string" ? ca : [...ca],
        cert: options.impersonator.crt,
        key: options.impersonator.key,
        minVersion: "TLSv1.3",
        maxVersion: "TLSv1.3",
      });
      peers = {
        credentials: credentials.createFromSecureContext(context),
        localNames: options.localNames ?? [],
      };
    }
  }
  const proxy = createForwardingProxy({
    machinedSocket: options.machinedSocket,
    admission: {
      authorize,
      checkExtKeyUsage: options.checkExtKeyUsage ?? true,
      logger,
      ...(maintenance ? { maintenance: { allowedMethods: MAINTENANCE_ALLOWED_METHODS } } : {}),
    },
    ...(peers === undefined ? {} : { peers }),
  });
  const server = new Server({
    "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
    "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
  });
  proxy.addTo(server);
  // Reflection sits beside the proxy, not behind it: it admits every client the TLS handshake let in
  // and can reach neither machined nor a peer (why: add-reflection.ts, docs/adr/0007-grpc-reflection.md).
  await addReflection(server, {
    ...(options.protoDir === undefined ? {} : { protoDir: options.protoDir }),
    logger,
  });
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(options.listen, serverCredentialsValue, (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
  } catch (error) {
    proxy.close();
    server.forceShutdown();
    throw error;
  }
  const address = `${options.listen.replace(/:\d+$/, "")}:${port}`;
  logger.info({ address, maintenance, machinedSocket: options.machinedSocket }, "apid listening");
  if (fingerprint !== undefined) {
    logger.info({ fingerprint }, `maintenance mode: API certificate fingerprint SHA256 ${fingerprint}`);
  }
  return {
    address,
    ...(fingerprint === undefined ? {} : { fingerprint }),
    close: async () => {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, SHUTDOWN_GRACE_MS);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      proxy.close();
    },
  };
}
