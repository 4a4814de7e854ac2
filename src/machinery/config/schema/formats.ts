import { z } from "zod";
import { parseCidr, parseIpAddress } from "../ip-address.ts";

/**
 * Field formats shared by the document schemas. Each is a zod string with one check that, when it
 * fails, says what was expected ("expected an absolute device path like /dev/sda"); the loader adds
 * what was found (`, got "sda"`) and the position. Checks judge one value alone: rules that need
 * other fields, the machine type or the clock belong to validateConfig.
 */

/** Outcome of a format check: true when valid; otherwise false, or a hint for this particular value. */
type FormatVerdict = boolean | { hint: string };

/** JSON Schema annotations an editor can use (format names, regex patterns, examples). */
interface FormatAnnotations {
  format?: string;
  pattern?: string;
  examples?: string[];
}

/**
 * A string with a format check. `expected` reads as the first half of an error message; `hint` (or
 * a per-value hint from the check) tells the user how to fix it.
 */
export function formattedString(
  expected: string,
  check: (value: string) => FormatVerdict,
  options: { hint?: string } & FormatAnnotations = {},
): z.ZodString {
  const { hint, ...annotations } = options;
  const schema = z.string().superRefine((value, ctx) => {
    const verdict = check(value);
    if (verdict === true) return;
    const detail = typeof verdict === "object" ? verdict.hint : hint;
    ctx.addIssue({ code: "custom", message: expected, input: value, params: { hint: detail } });
  });
  return Object.keys(annotations).length > 0 ? schema.meta(annotations) : schema;
}

/**
 * A map value that Kubernetes-style tools treat as text (`extraArgs`, `sysctls`): YAML reads
 * `v: 2` as a number and `enabled: true` as a boolean, and rejecting those would punish the most
 * natural spelling. Integers and booleans are accepted and turned into their text; floats are not,
 * because YAML has already lost how they were written (`1.10` reads as 1.1).
 */
export const scalarText = z
  .union([z.string(), z.int(), z.boolean()])
  .transform((value) => String(value))
  .pipe(z.string());

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Whether a text is a DNS name (RFC 1123 labels of at most 63 characters, 253 in all). */
export function isDnsName(value: string, options: { wildcard?: boolean; anyCase?: boolean } = {}): boolean {
  let text = options.anyCase ? value.toLowerCase() : value;
  if (options.wildcard && text.startsWith("*.")) text = text.slice(2);
  if (text.length === 0 || text.length > 253) return false;
  return text.split(".").every((label) => LABEL.test(label));
}

/** Whether a text is an IPv4 or IPv6 address. */
export function isIpAddress(value: string): boolean {
  return parseIpAddress(value) !== undefined;
}

/** A lowercase RFC 1123 host name, the form Kubernetes accepts as a node name. */
export const hostname = formattedString(
  "expected an RFC 1123 host name (lowercase letters, digits, '-' and '.')",
  (value) =>
    isDnsName(value) ||
    (isDnsName(value, { anyCase: true }) && { hint: `write it in lowercase: ${value.toLowerCase()}` }),
  { format: "hostname", examples: ["node-1"] },
);

/** An IPv4 or IPv6 address without a prefix. */
export const ipAddress = formattedString(
  "expected an IP address",
  (value) =>
    isIpAddress(value) ||
    (parseCidr(value) !== undefined && { hint: "drop the /prefix: an address is expected here" }),
  { examples: ["10.0.0.1", "fd00::1"] },
);

/** An IPv4 or IPv6 prefix `address/length`. */
export const cidr = formattedString(
  "expected a CIDR prefix such as 10.0.0.0/24 or fd00::/64",
  (value) =>
    parseCidr(value) !== undefined ||
    (isIpAddress(value) && { hint: "add the prefix length, e.g. /24 for IPv4 or /64 for IPv6" }),
  { examples: ["10.0.0.0/24"] },
);

/** A DNS name or an IP address: what certificate SANs and NTP servers are. */
export const hostOrIp = formattedString(
  "expected a DNS name or an IP address",
  (value) => isIpAddress(value) || isDnsName(value, { anyCase: true }),
  { examples: ["ntp.example.com", "10.0.0.1"] },
);

/** A certificate subject alternative name: a DNS name (a leading `*.` wildcard allowed) or an IP. */
export const subjectAltName = formattedString(
  "expected a DNS name (a leading *. is allowed) or an IP address",
  (value) => isIpAddress(value) || isDnsName(value, { anyCase: true, wildcard: true }),
  { examples: ["api.example.com", "10.0.0.10"] },
);

/** A token in the kubeadm form `[a-z0-9]{6}.[a-z0-9]{16}`: a public id and a secret. */
export const joinToken = formattedString(
  "expected a token of the form abcdef.0123456789abcdef (6 and 16 lowercase letters or digits)",
  (value) => /^[a-z0-9]{6}\.[a-z0-9]{16}$/.test(value),
  {
    hint: "use the token from your secrets bundle (`stelectl gen secrets`)",
    pattern: "^[a-z0-9]{6}\\.[a-z0-9]{16}$",
  },
);

/** Base64 (standard alphabet, padded) of exactly 32 random bytes: cluster ids and secrets. */
export const base64Key32 = formattedString(
  "expected base64 of exactly 32 bytes (44 characters ending in '=')",
  (value) => /^[A-Za-z0-9+/]{43}=$/.test(value) && Buffer.from(value, "base64").length === 32,
  { hint: "generate one with `openssl rand -base64 32`", pattern: "^[A-Za-z0-9+/]{43}=$" },
);

/** A block device node, addressed absolutely (`/dev/sda`, `/dev/disk/by-id/…`). */
export const devicePath = formattedString(
  "expected an absolute device path like /dev/sda",
  (value) => {
    if (/^\/dev\/[^\s]+$/.test(value) && !value.split("/").includes("..") && !value.endsWith("/"))
      return true;
    if (/^[a-z]+[0-9a-z]*$/.test(value)) return { hint: `use the full device path: /dev/${value}` };
    return false;
  },
  { hint: "use the full device path, e.g. /dev/sda or /dev/disk/by-id/…", examples: ["/dev/sda"] },
);

/** An absolute, normalised path under /var, the only writable tree of a Stele node. */
export const varFilePath = formattedString(
  "expected an absolute path under /var/",
  (value) => {
    const segments = value.split("/");
    const normal =
      value.startsWith("/") &&
      segments.slice(1).every((s) => s !== "" && s !== "." && s !== ".." && !s.includes("\0"));
    if (normal && value.startsWith("/var/")) return true;
    if (normal) return { hint: "the root file system is read-only: only files under /var/ can be written" };
    return {
      hint: "write a normalised absolute path (no '.', '..', '//' or trailing '/'), e.g. /var/lib/app/config",
    };
  },
  { examples: ["/var/lib/app/config.toml"] },
);

const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*";
const TAG = "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
const IMAGE_REFERENCE = new RegExp(
  `^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`,
);

/** Whether a text is a container image reference in the grammar of the OCI distribution tools. */
export function isImageReference(value: string): boolean {
  return value.length <= 512 && IMAGE_REFERENCE.test(value);
}

/** A container image reference: `[registry[:port]/]repository[:tag][@digest]`. */
export const imageReference = formattedString(
  "expected a container image reference like registry.k8s.io/etcd:3.5.16-0",
  (value) => {
    if (isImageReference(value)) return true;
    const lowered = value.replace(/\/(.*?)(?=[:@]|$)/, (m) => m.toLowerCase());
    if (lowered !== value && isImageReference(lowered)) return { hint: "repository names must be lowercase" };
    if (/\s/.test(value)) return { hint: "an image reference has no spaces" };
    return false;
  },
  {
    hint: "write registry/repository:tag, optionally with @sha256:<digest>",
    examples: ["ghcr.io/example/app:v1.2.3"],
  },
);

/** Parses a URL without throwing. */
function tryUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** A URL that names a host and a port and nothing else (no path, query, fragment or credentials). */
function endpointCheck(schemes: readonly string[], example: string): (value: string) => FormatVerdict {
  return (value) => {
    const url = tryUrl(value);
    if (!url) {
      if (!value.includes("://")) return { hint: `add the scheme, e.g. ${example}` };
      return false;
    }
    const scheme = url.protocol.slice(0, -1);
    if (!schemes.includes(scheme)) {
      return { hint: `the scheme must be ${schemes.join(" or ")}, not ${scheme}; e.g. ${example}` };
    }
    const host = url.hostname.replace(/^\[|\]$/g, "");
    if (!host || !(isIpAddress(host) || isDnsName(host, { anyCase: true })))
      return { hint: `name a host, e.g. ${example}` };
    // For special schemes (https) the URL parser drops a default port, so look at the text too.
    if (!url.port && !/:[0-9]+\/?$/.test(value)) return { hint: `add the port, e.g. ${example}` };
    if (url.username || url.password) return { hint: "credentials do not belong in the URL" };
    if ((url.pathname !== "" && url.pathname !== "/") || url.search || url.hash) {
      return { hint: `remove the path: only scheme, host and port are used, e.g. ${example}` };
    }
    return true;
  };
}

/** The Kubernetes API endpoint: `https://host:port`, the address every node and client dials. */
export const httpsEndpoint = formattedString(
  "expected an https URL with a host and a port, like https://10.0.0.10:6443",
  endpointCheck(["https"], "https://cp.example.com:6443"),
  { format: "uri", examples: ["https://10.0.0.10:6443"] },
);

/** A log destination: `tcp://`, `udp://` or `tls://` with a host and a port. */
export const logEndpoint = formattedString(
  "expected a URL tcp://, udp:// or tls:// with a host and a port, like tls://logs.example.com:6514",
  endpointCheck(["tcp", "udp", "tls"], "tls://logs.example.com:6514"),
  { format: "uri", examples: ["udp://10.0.0.5:5514"] },
);

/** A registry mirror endpoint: an http or https URL; a path is allowed (some mirrors live under one). */
export const mirrorEndpoint = formattedString(
  "expected an http or https URL like https://mirror.example.com",
  (value) => {
    const url = tryUrl(value);
    if (!url) return !value.includes("://") && { hint: `add the scheme: https://${value}` };
    if (url.protocol !== "https:" && url.protocol !== "http:") return false;
    if (url.username || url.password) return { hint: "credentials do not belong in the URL" };
    return url.hostname !== "";
  },
  { format: "uri", examples: ["https://mirror.example.com"] },
);

/** A registry host (`docker.io`, `registry.local:5000`) or `*` for every registry. */
export const registryHost = formattedString(
  "expected a registry host like docker.io or registry.local:5000, or * for every registry",
  (value) => {
    if (value === "*") return true;
    const match = /^(.+?)(?::([0-9]{1,5}))?$/.exec(value);
    if (!match) return false;
    if (value.includes("://")) return { hint: "write the host only, without a scheme" };
    return isDnsName(match[1]!, { anyCase: true }) || isIpAddress(match[1]!.replace(/^\[|\]$/g, ""));
  },
);

/** A sysctl name in dotted form, as `sysctl -w` takes it. */
export const sysctlName = formattedString(
  "expected a sysctl name like net.ipv4.ip_forward",
  (value) =>
    /^[a-z][a-z0-9_]*(?:[./][A-Za-z0-9_-]+)+$/.test(value) ||
    (value.startsWith("/proc/sys/") && { hint: `write it dotted: ${value.slice(10).replaceAll("/", ".")}` }),
  { pattern: "^[a-z][a-z0-9_]*(?:[./][A-Za-z0-9_-]+)+$" },
);

/** A command-line flag name without its leading dashes, as Kubernetes components take them. */
export const flagName = formattedString(
  "expected a flag name without leading dashes, like feature-gates",
  (value) =>
    /^[a-zA-Z0-9][a-zA-Z0-9._-]*$/.test(value) ||
    (/^-+[a-zA-Z0-9]/.test(value) && { hint: `drop the dashes: ${value.replace(/^-+/, "")}` }),
  { pattern: "^[a-zA-Z0-9][a-zA-Z0-9._-]*$" },
);

/** A name that identifies an item in a document (DNS label form, so it can be used in file names). */
export const resourceName = formattedString(
  "expected a name of lowercase letters, digits and '-' (at most 63 characters)",
  (value) =>
    LABEL.test(value) ||
    (LABEL.test(value.toLowerCase()) && { hint: `write it in lowercase: ${value.toLowerCase()}` }),
  { pattern: "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$" },
);

/** A Linux network interface name (at most 15 bytes, no '/', ':' or whitespace). */
export const interfaceName = formattedString(
  "expected a network interface name like eth0 (at most 15 characters, no '/', ':' or spaces)",
  (value) => /^[A-Za-z0-9_.-]{1,15}$/.test(value) && value !== "." && value !== "..",
  { examples: ["eth0", "enp1s0"] },
);
