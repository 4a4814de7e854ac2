import type { DhcpMessage, DhcpOptions } from "../../pkg/dhcp/index.ts";

/** One reservation of the cluster's DHCP server: the address (and name) planned for a MAC. */
export interface DhcpReservation {
  address: string;
  hostname?: string;
}

/** What the server hands out: fixed reservations on one network, as a cluster's plan decides them. */
export interface DhcpServerConfig {
  /** The server's own address on the bridge: the server identifier (option 54). */
  serverAddress: string;
  subnetMask: string;
  /** The gateway (option 3): the host's end of the cluster network. */
  router: string;
  /** Lease time in seconds; renewal (T1) at half, rebinding (T2) at 7/8, as RFC 2131 §4.4.5 advises. */
  leaseSeconds: number;
  /** By MAC, lowercase `aa:bb:cc:dd:ee:ff`. */
  reservations: ReadonlyMap<string, DhcpReservation>;
}

/**
 * The server's answer to one client message (RFC 2131 §4.3), or undefined when it must stay
 * silent. Only reserved MACs get addresses: a DISCOVER from an unknown MAC is ignored (another
 * server may know it; this one hands out nothing else), a REQUEST for another address or from an
 * unknown MAC is NAKed so the client starts over instead of keeping an address it must not use,
 * and a REQUEST answering another server's offer is ignored. INFORM gets the network's parameters
 * without a lease. DECLINE and RELEASE need no answer: the reservation stays the node's.
 */
export function dhcpServerReply(request: DhcpMessage, config: DhcpServerConfig): DhcpMessage | undefined {
  if (request.op !== "request" || request.htype !== 1) return undefined;
  const reservation = config.reservations.get(request.chaddr.toLowerCase());
  const type = request.options.messageType;
  switch (type) {
    case "DISCOVER":
      return reservation ? reply(request, config, { type: "OFFER", address: reservation }) : undefined;
    case "REQUEST": {
      const serverId = request.options.serverId;
      if (serverId !== undefined && serverId !== config.serverAddress) return undefined;
      const wanted = request.options.requestedIp ?? request.ciaddr;
      if (!reservation)
        return nak(request, config, `no reservation for ${request.chaddr}: ${wanted} refused`);
      if (wanted !== reservation.address) {
        return nak(request, config, `${wanted} is not the address of ${request.chaddr}`);
      }
      return reply(request, config, { type: "ACK", address: reservation });
    }
    case "INFORM":
      return reply(request, config, { type: "ACK" });
    default:
      return undefined;
  }
}

/**
 * Where a reply goes (RFC 2131 §4.1): to the relay when one forwarded the request; a NAK, or any
 * reply to a client without an address, to the limited broadcast (a server cannot unicast to an
 * address the client does not hold yet without writing the ARP table itself); a renewing client
 * (ciaddr set) by unicast to that address.
 */
export function dhcpReplyDestination(
  request: DhcpMessage,
  reply: DhcpMessage,
): { address: string; port: number } {
  if (request.giaddr !== "0.0.0.0") return { address: request.giaddr, port: 67 };
  if (reply.options.messageType === "NAK" || request.ciaddr === "0.0.0.0") {
    return { address: "255.255.255.255", port: 68 };
  }
  return { address: request.ciaddr, port: 68 };
}

function reply(
  request: DhcpMessage,
  config: DhcpServerConfig,
  what: { type: "OFFER" | "ACK"; address?: DhcpReservation },
): DhcpMessage {
  const lease = what.address;
  const options: DhcpOptions = {
    messageType: what.type,
    serverId: config.serverAddress,
    subnetMask: config.subnetMask,
    routers: [config.router],
  };
  if (lease) {
    options.leaseTime = config.leaseSeconds;
    options.renewalTime = Math.floor(config.leaseSeconds / 2);
    options.rebindingTime = Math.floor((config.leaseSeconds * 7) / 8);
    if (lease.hostname !== undefined) options.hostname = lease.hostname;
  }
  return {
    ...header(request),
    ciaddr: request.ciaddr,
    yiaddr: lease?.address ?? "0.0.0.0",
    siaddr: config.serverAddress,
    options,
  };
}

function nak(request: DhcpMessage, config: DhcpServerConfig, message: string): DhcpMessage {
  return {
    ...header(request),
    ciaddr: "0.0.0.0",
    yiaddr: "0.0.0.0",
    siaddr: "0.0.0.0",
    options: { messageType: "NAK", serverId: config.serverAddress, message },
  };
}

function header(request: DhcpMessage): Omit<DhcpMessage, "ciaddr" | "yiaddr" | "siaddr" | "options"> {
  return {
    op: "reply",
    htype: 1,
    hops: 0,
    xid: request.xid,
    secs: 0,
    broadcast: request.broadcast,
    giaddr: request.giaddr,
    chaddr: request.chaddr,
    sname: "",
    file: "",
  };
}
