import { createSocket, type Socket } from "node:dgram";
import { DHCP_SERVER_PORT, decodeDhcpMessage, encodeDhcpMessage } from "../../pkg/dhcp/index.ts";
import { type DhcpServerConfig, dhcpReplyDestination, dhcpServerReply } from "./dhcp-server-reply.ts";

/** Options of startDhcpServer; the ports and broadcast address are replaceable so tests need no root. */
export interface StartDhcpServerOptions {
  /** Where to listen: 0.0.0.0 (the default) to receive the clients' broadcasts. */
  bindAddress?: string;
  /** 67 by default. */
  port?: number;
  /** Replaces 255.255.255.255 and port 68 as the destination of broadcast replies (tests). */
  broadcastTo?: { address: string; port: number };
  /** One line per message answered or ignored. */
  log?: (line: string) => void;
}

/** A running DHCP server. */
export interface DhcpServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Runs the cluster's DHCP server on a UDP socket: every datagram is decoded (a malformed one is
 * logged and dropped), answered by dhcpServerReply, and the reply sent where RFC 2131 says. Run
 * inside the cluster's network namespace, where 0.0.0.0:67 is the cluster's alone.
 */
export async function startDhcpServer(
  config: DhcpServerConfig,
  options: StartDhcpServerOptions = {},
): Promise<DhcpServer> {
  const log = options.log ?? (() => {});
  const socket: Socket = createSocket({ type: "udp4", reuseAddr: true });
  socket.on("message", (packet, from) => {
    let request: ReturnType<typeof decodeDhcpMessage>;
    try {
      request = decodeDhcpMessage(packet);
    } catch (error) {
      log(`dropped a malformed message from ${from.address}:${from.port}: ${(error as Error).message}`);
      return;
    }
    const reply = dhcpServerReply(request, config);
    const type = request.options.messageType ?? "BOOTP";
    if (!reply) {
      log(`${type} from ${request.chaddr}: no answer`);
      return;
    }
    let to = dhcpReplyDestination(request, reply);
    if (to.address === "255.255.255.255" && options.broadcastTo) to = options.broadcastTo;
    socket.send(encodeDhcpMessage(reply), to.port, to.address, (error) => {
      const what = `${reply.options.messageType} ${reply.yiaddr} to ${request.chaddr} (${to.address}:${to.port})`;
      log(error ? `could not send ${what}: ${error.message}` : `${type} from ${request.chaddr}: ${what}`);
    });
  });
  socket.on("error", (error) => log(`socket error: ${error.message}`));
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(options.port ?? DHCP_SERVER_PORT, options.bindAddress ?? "0.0.0.0", () => {
      socket.off("error", reject);
      resolve();
    });
  });
  socket.setBroadcast(true);
  return {
    port: socket.address().port,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}
