/**
 * Offsets of the fixed part of a DHCP message (RFC 2131 §2, figure 1), shared by the encoder and
 * the decoder so the two cannot disagree.
 */
export const LAYOUT = {
  op: 0,
  htype: 1,
  hlen: 2,
  hops: 3,
  xid: 4,
  secs: 8,
  flags: 10,
  ciaddr: 12,
  yiaddr: 16,
  siaddr: 20,
  giaddr: 24,
  chaddr: 28,
  sname: 44,
  file: 108,
  cookie: 236,
  options: 240,
} as const;

/** Sizes of the fixed fields that hold more than an integer. */
export const CHADDR_BYTES = 16;
export const SNAME_BYTES = 64;
export const FILE_BYTES = 128;

/** The magic cookie 99.130.83.99 that marks the vendor area as DHCP options (RFC 2131 §3). */
export const MAGIC_COOKIE = 0x63825363;

/** The broadcast bit of `flags` (RFC 2131 §2, figure 2). */
export const BROADCAST_FLAG = 0x8000;

/**
 * The smallest message a client sends: a BOOTP message is at least 300 bytes (RFC 1542 §2.1), and
 * some relays and old servers drop shorter ones, so encoded messages are padded to it.
 */
export const MIN_MESSAGE_BYTES = 300;
