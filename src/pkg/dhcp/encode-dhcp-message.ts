import { DhcpFormatError } from "./dhcp-format-error.ts";
import {
  BROADCAST_FLAG,
  CHADDR_BYTES,
  FILE_BYTES,
  LAYOUT,
  MAGIC_COOKIE,
  MIN_MESSAGE_BYTES,
  SNAME_BYTES,
} from "./dhcp-layout.ts";
import { DHCP_MESSAGE_TYPES, DHCP_OPTION, type DhcpMessage, type DhcpOptions } from "./dhcp-message.ts";
import { parseIpv4 } from "./ipv4-address.ts";

/**
 * Encodes a DHCP message to the bytes sent in a UDP datagram: the fixed BOOTP header, the magic
 * cookie, the options (53 first, as servers expect, then by code, then `other` in order), the end
 * option, and zero padding to 300 bytes. An option longer than 255 bytes is split into several
 * instances (RFC 3396), which decoders join again. A value the format cannot hold is a
 * DhcpFormatError naming it.
 */
export function encodeDhcpMessage(message: DhcpMessage): Uint8Array {
  const options = encodeOptions(message.options);
  const bytes = new Uint8Array(Math.max(MIN_MESSAGE_BYTES, LAYOUT.options + options.length));
  const view = new DataView(bytes.buffer);
  const chaddr = parseHardwareAddress(message.chaddr);
  bytes[LAYOUT.op] = message.op === "request" ? 1 : 2;
  bytes[LAYOUT.htype] = checkInteger("htype", message.htype, 0xff);
  bytes[LAYOUT.hlen] = chaddr.length;
  bytes[LAYOUT.hops] = checkInteger("hops", message.hops, 0xff);
  view.setUint32(LAYOUT.xid, checkInteger("xid", message.xid, 0xffffffff));
  view.setUint16(LAYOUT.secs, checkInteger("secs", message.secs, 0xffff));
  view.setUint16(LAYOUT.flags, message.broadcast ? BROADCAST_FLAG : 0);
  bytes.set(parseIpv4(message.ciaddr), LAYOUT.ciaddr);
  bytes.set(parseIpv4(message.yiaddr), LAYOUT.yiaddr);
  bytes.set(parseIpv4(message.siaddr), LAYOUT.siaddr);
  bytes.set(parseIpv4(message.giaddr), LAYOUT.giaddr);
  bytes.set(chaddr, LAYOUT.chaddr);
  bytes.set(encodeField("sname", message.sname, SNAME_BYTES), LAYOUT.sname);
  bytes.set(encodeField("file", message.file, FILE_BYTES), LAYOUT.file);
  view.setUint32(LAYOUT.cookie, MAGIC_COOKIE);
  bytes.set(options, LAYOUT.options);
  return bytes;
}

/** The bytes of `aa:bb:cc:dd:ee:ff` (up to 16 bytes, the size of chaddr). */
export function parseHardwareAddress(address: string): Uint8Array {
  const parts = address === "" ? [] : address.split(":");
  if (parts.length > CHADDR_BYTES || parts.some((part) => !/^[0-9a-fA-F]{2}$/.test(part))) {
    throw new DhcpFormatError(
      `Invalid hardware address: ${JSON.stringify(address)}`,
      "Write it as up to 16 colon-separated hex bytes, e.g. 52:54:00:12:34:56",
    );
  }
  return Uint8Array.from(parts, (part) => Number.parseInt(part, 16));
}

const TYPED_CODES: ReadonlySet<number> = new Set(Object.values(DHCP_OPTION));

function encodeOptions(options: DhcpOptions): Uint8Array {
  const out: number[] = [];
  const put = (code: number, data: Uint8Array | readonly number[]) => {
    // RFC 3396: a value longer than 255 bytes goes in consecutive instances of the same option.
    for (let at = 0; at < data.length || at === 0; at += 255) {
      const chunk = data.slice(at, at + 255);
      out.push(code, chunk.length, ...chunk);
      if (data.length === 0) break;
    }
  };
  const address = (value: string) => [...parseIpv4(value)];
  const addresses = (name: string, values: readonly string[]) => {
    if (values.length === 0) throw new DhcpFormatError(`Cannot encode DHCP option ${name}: no address`);
    return values.flatMap(address);
  };
  const u32 = (name: string, value: number) => {
    checkInteger(name, value, 0xffffffff);
    return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
  };
  const text = (name: string, value: string) => {
    const bytes = Buffer.from(value, "latin1");
    if (bytes.length === 0 || bytes.toString("latin1") !== value) {
      throw new DhcpFormatError(
        `Cannot encode DHCP option ${name}: ${JSON.stringify(value)} is empty or not 8-bit text`,
      );
    }
    return bytes;
  };

  if (options.messageType !== undefined) {
    const code = DHCP_MESSAGE_TYPES.indexOf(options.messageType) + 1;
    if (code === 0)
      throw new DhcpFormatError(`Cannot encode DHCP message type: ${JSON.stringify(options.messageType)}`);
    put(DHCP_OPTION.messageType, [code]);
  }
  if (options.subnetMask !== undefined) put(DHCP_OPTION.subnetMask, address(options.subnetMask));
  if (options.routers !== undefined) put(DHCP_OPTION.routers, addresses("routers", options.routers));
  if (options.dnsServers !== undefined)
    put(DHCP_OPTION.dnsServers, addresses("dnsServers", options.dnsServers));
  if (options.hostname !== undefined) put(DHCP_OPTION.hostname, text("hostname", options.hostname));
  if (options.domainName !== undefined) put(DHCP_OPTION.domainName, text("domainName", options.domainName));
  if (options.requestedIp !== undefined) put(DHCP_OPTION.requestedIp, address(options.requestedIp));
  if (options.leaseTime !== undefined) put(DHCP_OPTION.leaseTime, u32("leaseTime", options.leaseTime));
  if (options.serverId !== undefined) put(DHCP_OPTION.serverId, address(options.serverId));
  if (options.parameterRequestList !== undefined) {
    const list = options.parameterRequestList;
    if (list.length === 0) throw new DhcpFormatError("Cannot encode DHCP option parameterRequestList: empty");
    put(
      DHCP_OPTION.parameterRequestList,
      list.map((code) => checkInteger("parameterRequestList", code, 0xff)),
    );
  }
  if (options.message !== undefined) put(DHCP_OPTION.message, text("message", options.message));
  if (options.maxMessageSize !== undefined) {
    const size = checkInteger("maxMessageSize", options.maxMessageSize, 0xffff);
    if (size < 576)
      throw new DhcpFormatError(`Cannot encode DHCP option maxMessageSize: ${size} is below 576`);
    put(DHCP_OPTION.maxMessageSize, [size >> 8, size & 0xff]);
  }
  if (options.renewalTime !== undefined)
    put(DHCP_OPTION.renewalTime, u32("renewalTime", options.renewalTime));
  if (options.rebindingTime !== undefined)
    put(DHCP_OPTION.rebindingTime, u32("rebindingTime", options.rebindingTime));
  if (options.clientId !== undefined) {
    if (options.clientId.length < 2)
      throw new DhcpFormatError("Cannot encode DHCP option clientId: shorter than 2 bytes");
    put(DHCP_OPTION.clientId, options.clientId);
  }
  for (const { code, data } of options.other ?? []) {
    if (!Number.isInteger(code) || code < 1 || code > 254 || TYPED_CODES.has(code)) {
      throw new DhcpFormatError(
        `Cannot encode DHCP option ${code} as raw bytes: it is a typed field, reserved, or out of range`,
        "Set the typed field of DhcpOptions instead; `other` holds codes 1-254 without one",
      );
    }
    put(code, data);
  }
  out.push(DHCP_OPTION.end);
  return Uint8Array.from(out);
}

function encodeField(name: string, value: string, size: number): Uint8Array {
  const bytes = Buffer.from(value, "latin1");
  // One byte is kept for the terminating NUL.
  if (bytes.length >= size || bytes.toString("latin1") !== value || bytes.includes(0)) {
    throw new DhcpFormatError(
      `Cannot encode DHCP ${name}: longer than ${size - 1} bytes, not 8-bit text, or with a NUL`,
    );
  }
  return bytes;
}

function checkInteger(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new DhcpFormatError(`Cannot encode DHCP ${name}: ${value} is not an integer from 0 to ${max}`);
  }
  return value;
}
