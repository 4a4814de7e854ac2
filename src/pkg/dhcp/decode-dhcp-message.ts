import { DhcpFormatError } from "./dhcp-format-error.ts";
import {
  BROADCAST_FLAG,
  CHADDR_BYTES,
  FILE_BYTES,
  LAYOUT,
  MAGIC_COOKIE,
  SNAME_BYTES,
} from "./dhcp-layout.ts";
import { DHCP_MESSAGE_TYPES, DHCP_OPTION, type DhcpMessage, type DhcpOptions } from "./dhcp-message.ts";
import { formatIpv4 } from "./ipv4-address.ts";

/**
 * Decodes the payload of a UDP datagram as a DHCPv4 message (RFC 2131, options RFC 2132). Options
 * that appear more than once are joined (RFC 3396); option overload (52) is honoured, reading
 * options from `file` and then `sname`. Pad bytes are skipped, and a missing end option is
 * tolerated at the end of the data, as common clients do. Anything malformed throws a
 * DhcpFormatError, and nothing else: a client receiving whatever arrives on port 68 must be able to
 * drop a bad packet with one `catch`.
 */
export function decodeDhcpMessage(packet: Uint8Array): DhcpMessage {
  const bytes = Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength);
  if (bytes.length < LAYOUT.options) {
    throw new DhcpFormatError(`DHCP message too short: ${bytes.length} bytes, at least ${LAYOUT.options}`);
  }
  const cookie = bytes.readUInt32BE(LAYOUT.cookie);
  if (cookie !== MAGIC_COOKIE) {
    throw new DhcpFormatError(
      `Not a DHCP message: magic cookie 0x${cookie.toString(16).padStart(8, "0")}, expected 0x63825363`,
    );
  }
  const op = bytes[LAYOUT.op];
  if (op !== 1 && op !== 2)
    throw new DhcpFormatError(`Invalid DHCP op: ${op}, expected 1 (request) or 2 (reply)`);
  const hlen = bytes[LAYOUT.hlen]!;
  if (hlen > CHADDR_BYTES) throw new DhcpFormatError(`Invalid DHCP hlen: ${hlen}, at most ${CHADDR_BYTES}`);

  const raw = new Map<number, Buffer[]>();
  const overload = readOptions(bytes.subarray(LAYOUT.options), "options", raw);
  // RFC 2131 §4.1: with overload, options continue in `file`, then in `sname`.
  if (overload & 1) readOptions(bytes.subarray(LAYOUT.file, LAYOUT.file + FILE_BYTES), "file", raw);
  if (overload & 2) readOptions(bytes.subarray(LAYOUT.sname, LAYOUT.sname + SNAME_BYTES), "sname", raw);

  return {
    op: op === 1 ? "request" : "reply",
    htype: bytes[LAYOUT.htype]!,
    hops: bytes[LAYOUT.hops]!,
    xid: bytes.readUInt32BE(LAYOUT.xid),
    secs: bytes.readUInt16BE(LAYOUT.secs),
    broadcast: (bytes.readUInt16BE(LAYOUT.flags) & BROADCAST_FLAG) !== 0,
    ciaddr: formatIpv4(bytes, LAYOUT.ciaddr),
    yiaddr: formatIpv4(bytes, LAYOUT.yiaddr),
    siaddr: formatIpv4(bytes, LAYOUT.siaddr),
    giaddr: formatIpv4(bytes, LAYOUT.giaddr),
    chaddr: [...bytes.subarray(LAYOUT.chaddr, LAYOUT.chaddr + hlen)]
      .map((b) => b.toString(16).padStart(2, "0"))
      .join(":"),
    sname: overload & 2 ? "" : cString(bytes.subarray(LAYOUT.sname, LAYOUT.sname + SNAME_BYTES)),
    file: overload & 1 ? "" : cString(bytes.subarray(LAYOUT.file, LAYOUT.file + FILE_BYTES)),
    options: typedOptions(raw),
  };
}

/** Reads code/length/value triples into `raw` (joining repeats); returns the overload value (0 if none). */
function readOptions(area: Buffer, where: string, raw: Map<number, Buffer[]>): number {
  let overload = 0;
  for (let at = 0; at < area.length; ) {
    const code = area[at]!;
    if (code === DHCP_OPTION.end) break;
    if (code === DHCP_OPTION.pad) {
      at++;
      continue;
    }
    if (at + 1 >= area.length)
      throw new DhcpFormatError(`DHCP option ${code} in ${where} has no length byte`);
    const length = area[at + 1]!;
    const start = at + 2;
    if (start + length > area.length) {
      throw new DhcpFormatError(
        `DHCP option ${code} in ${where} runs past the end: length ${length}, ${area.length - start} bytes left`,
      );
    }
    const data = area.subarray(start, start + length);
    if (code === DHCP_OPTION.overload) {
      // Only the options field may say that file and sname hold options (RFC 2131 §4.1).
      if (where === "options") {
        if (length !== 1 || data[0]! < 1 || data[0]! > 3) {
          throw new DhcpFormatError(
            `Invalid DHCP option 52 (overload): ${[...data].join(",")}, expected 1, 2 or 3`,
          );
        }
        overload = data[0]!;
      }
    } else {
      const parts = raw.get(code);
      if (parts === undefined) raw.set(code, [data]);
      else parts.push(data);
    }
    at = start + length;
  }
  return overload;
}

function typedOptions(raw: ReadonlyMap<number, Buffer[]>): DhcpOptions {
  const options: DhcpOptions = {};
  const other: Array<{ code: number; data: Uint8Array }> = [];
  for (const [code, parts] of raw) {
    const data = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    const invalid = (name: string, expected: string) =>
      new DhcpFormatError(
        `Invalid DHCP option ${code} (${name}): ${data.length} bytes, expected ${expected}`,
      );
    const address = (name: string) => {
      if (data.length !== 4) throw invalid(name, "4");
      return formatIpv4(data);
    };
    const addresses = (name: string) => {
      if (data.length === 0 || data.length % 4 !== 0) throw invalid(name, "a multiple of 4");
      return Array.from({ length: data.length / 4 }, (_, i) => formatIpv4(data, i * 4));
    };
    const u32 = (name: string) => {
      if (data.length !== 4) throw invalid(name, "4");
      return data.readUInt32BE(0);
    };
    // Strings are NVT ASCII without a terminator (RFC 2132 §2); some servers add NULs anyway.
    const text = () => data.toString("latin1").replace(/\0+$/, "");
    switch (code) {
      case DHCP_OPTION.messageType: {
        const type = data.length === 1 ? DHCP_MESSAGE_TYPES[data[0]! - 1] : undefined;
        if (type === undefined) {
          throw new DhcpFormatError(
            `Invalid DHCP option 53 (message type): ${[...data].join(",")}, expected one byte 1-8`,
          );
        }
        options.messageType = type;
        break;
      }
      case DHCP_OPTION.subnetMask:
        options.subnetMask = address("subnet mask");
        break;
      case DHCP_OPTION.routers:
        options.routers = addresses("routers");
        break;
      case DHCP_OPTION.dnsServers:
        options.dnsServers = addresses("DNS servers");
        break;
      case DHCP_OPTION.hostname:
        if (text() !== "") options.hostname = text();
        break;
      case DHCP_OPTION.domainName:
        if (text() !== "") options.domainName = text();
        break;
      case DHCP_OPTION.requestedIp:
        options.requestedIp = address("requested IP");
        break;
      case DHCP_OPTION.leaseTime:
        options.leaseTime = u32("lease time");
        break;
      case DHCP_OPTION.serverId:
        options.serverId = address("server identifier");
        break;
      case DHCP_OPTION.parameterRequestList:
        if (data.length === 0) throw invalid("parameter request list", "at least 1");
        options.parameterRequestList = [...data];
        break;
      case DHCP_OPTION.message:
        if (text() !== "") options.message = text();
        break;
      case DHCP_OPTION.maxMessageSize:
        if (data.length !== 2 || data.readUInt16BE(0) < 576)
          throw invalid("maximum message size", "2, a value of at least 576");
        options.maxMessageSize = data.readUInt16BE(0);
        break;
      case DHCP_OPTION.renewalTime:
        options.renewalTime = u32("renewal time");
        break;
      case DHCP_OPTION.rebindingTime:
        options.rebindingTime = u32("rebinding time");
        break;
      case DHCP_OPTION.clientId:
        if (data.length < 2) throw invalid("client identifier", "at least 2");
        options.clientId = Uint8Array.from(data);
        break;
      default:
        other.push({ code, data: Uint8Array.from(data) });
    }
  }
  if (other.length > 0) options.other = other;
  return options;
}

function cString(field: Buffer): string {
  const end = field.indexOf(0);
  return field.toString("latin1", 0, end === -1 ? field.length : end);
}
