/**
 * Hand-written DHCP packets for the tests, byte by byte as a server puts them on the wire, so the
 * decoder is checked against the RFC 2131 layout rather than against the encoder. Not imported by
 * production code.
 */

const zeros = (n: number) => "00".repeat(n);

/** Joins hex fragments (spaces and comments allowed) and pads to `minBytes` with zeros. */
export function hexPacket(fragments: readonly string[], minBytes = 0): Uint8Array {
  const hex = fragments.join("").replace(/\s+/g, "");
  const bytes = Buffer.from(hex, "hex");
  if (bytes.length * 2 !== hex.length) throw new Error(`bad hex: ${hex}`);
  return bytes.length >= minBytes ? bytes : Buffer.concat([bytes, Buffer.alloc(minBytes - bytes.length)]);
}

/** The fixed BOOTP header of a server reply to client 00:0b:82:01:fc:42, xid 0x00003d1d. */
function replyHeader(yiaddr: string): string[] {
  return [
    "02 01 06 00", // op BOOTREPLY, htype Ethernet, hlen 6, hops 0
    "00 00 3d 1d", // xid
    "00 00 00 00", // secs 0, flags 0 (no broadcast bit)
    "00 00 00 00", // ciaddr 0.0.0.0
    yiaddr, // yiaddr
    "c0 a8 00 01", // siaddr 192.168.0.1
    "00 00 00 00", // giaddr 0.0.0.0
    `00 0b 82 01 fc 42 ${zeros(10)}`, // chaddr (6 bytes used, 16 in all)
    zeros(64), // sname
    zeros(128), // file
    "63 82 53 63", // magic cookie
  ];
}

/**
 * A DHCPOFFER of 192.168.0.10 from 192.168.0.1, as a typical home router (and the classic
 * Wireshark sample capture) sends it: mask /24, T1 30 min, T2 52.5 min, lease 1 h, padded to 300.
 */
export const OFFER = hexPacket(
  [
    ...replyHeader("c0 a8 00 0a"),
    "35 01 02", // 53 message type: OFFER
    "01 04 ff ff ff 00", // 1 subnet mask 255.255.255.0
    "3a 04 00 00 07 08", // 58 renewal time 1800 s
    "3b 04 00 00 0c 4e", // 59 rebinding time 3150 s
    "33 04 00 00 0e 10", // 51 lease time 3600 s
    "36 04 c0 a8 00 01", // 54 server identifier 192.168.0.1
    "ff", // end
  ],
  300,
);

/** The DHCPACK that follows, with a router, two DNS servers, a domain and host name (NUL-terminated, as some servers do). */
export const ACK = hexPacket(
  [
    ...replyHeader("c0 a8 00 0a"),
    "35 01 05", // 53 message type: ACK
    "3a 04 00 00 07 08", // 58 renewal time 1800 s
    "3b 04 00 00 0c 4e", // 59 rebinding time 3150 s
    "33 04 00 00 0e 10", // 51 lease time 3600 s
    "36 04 c0 a8 00 01", // 54 server identifier 192.168.0.1
    "01 04 ff ff ff 00", // 1 subnet mask 255.255.255.0
    "03 04 c0 a8 00 01", // 3 router 192.168.0.1
    "06 08 c0 a8 00 01 08 08 08 08", // 6 DNS 192.168.0.1, 8.8.8.8
    "0f 0b 65 78 61 6d 70 6c 65 2e 6f 72 67", // 15 domain name "example.org"
    "0c 06 6e 6f 64 65 31 00", // 12 host name "node1" and a NUL
    "00 00", // pad
    "ff", // end
  ],
  300,
);

/** A DHCPNAK from 192.168.0.1 with a reason (option 56). */
export const NAK = hexPacket(
  [
    ...replyHeader("00 00 00 00"),
    "35 01 06", // 53 message type: NAK
    "36 04 c0 a8 00 01", // 54 server identifier
    "38 0d 77 72 6f 6e 67 20 6e 65 74 77 6f 72 6b", // 56 message "wrong network"
    "ff",
  ],
  300,
);

/** The client of these packets. */
export const CLIENT_MAC = "00:0b:82:01:fc:42";
export const CLIENT_XID = 0x3d1d;
