import { z } from "zod";
import { documentHeader } from "./document-header.ts";
import {
  cidr,
  devicePath,
  flagName,
  hostname,
  hostOrIp,
  imageReference,
  interfaceName,
  ipAddress,
  joinToken,
  logEndpoint,
  mirrorEndpoint,
  registryHost,
  scalarText,
  subjectAltName,
  sysctlName,
  varFilePath,
} from "./formats.ts";
import { certificateAndKey, pemCertificate } from "./pem.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

const extraArgs = z
  .record(flagName, scalarText)
  .describe(
    "Extra command-line flags, by name without leading dashes; a value replaces Stele's own for that flag",
  )
  .meta({ examples: [{ "feature-gates": "SomeFeature=true" }] });

const install = z
  .strictObject({
    disk: devicePath
      .optional()
      .describe("Disk to install Stele on. Required on metal; ignored in containers"),
    image: imageReference
      .optional()
      .describe("Installer image; defaults to the installer of this Stele release"),
    wipe: z
      .boolean()
      .default(false)
      .describe("Erase the whole disk before installing, not only Stele's partitions"),
    extraKernelArgs: z
      .array(z.string().min(1))
      .optional()
      .describe("Extra kernel command-line arguments, one per entry")
      .meta({ examples: [["console=ttyS0"]] }),
  })
  .prefault({})
  .describe("Where and how Stele installs itself on metal");

const route = z
  .strictObject({
    network: cidr.describe("Destination prefix; 0.0.0.0/0 or ::/0 for a default route"),
    gateway: ipAddress.optional().describe("Next hop; omitted for an on-link route"),
    metric: z.int().min(0).max(4294967295).optional().describe("Route priority: lower wins"),
  })
  .describe("A static route");

const networkInterface = z
  .strictObject({
    name: interfaceName.describe("Kernel name of the interface"),
    dhcp: z.boolean().optional().describe("Configure the interface by DHCP"),
    addresses: z
      .array(cidr)
      .optional()
      .describe("Static addresses with their prefix length (IPv4 or IPv6)")
      .meta({ examples: [["10.0.0.11/24"]] }),
    routes: z.array(route).optional().describe("Static routes through this interface"),
    mtu: z.int().min(576).max(9216).optional().describe("Maximum transmission unit in bytes (576 to 9216)"),
  })
  .describe("Settings of one network interface");

const network = z
  .strictObject({
    hostname: hostname.optional().describe("Host name of the machine; also its Kubernetes node name"),
    interfaces: z
      .array(networkInterface)
      .optional()
      .describe("Per-interface settings; each name at most once"),
    nameservers: z
      .array(ipAddress)
      .optional()
      .describe("DNS resolvers, in order of preference")
      .meta({ examples: [["1.1.1.1", "2606:4700:4700::1111"]] }),
  })
  .prefault({})
  .describe("Host name, interfaces, routes and resolvers");

const OCTAL_HINT = "write permissions as an octal number with the 0o prefix, e.g. 0o644";

const permissions = z
  .int()
  .superRefine((value, ctx) => {
    if (value >= 0 && value <= 0o777) return;
    // YAML 1.2 reads 0644 as decimal 644: the commonest way to get this wrong.
    const looksOctal = /^[0-7]{3,4}$/.test(String(value));
    ctx.addIssue({
      code: "custom",
      message: "expected permissions between 0o000 and 0o777",
      input: value,
      params: {
        hint: looksOctal ? `YAML 1.2 reads 0${value} as the decimal ${value}: write 0o${value}` : OCTAL_HINT,
      },
    });
  })
  .default(0o644)
  .describe("Mode bits of the file, an octal number (0o644); setuid, setgid and sticky bits are not allowed");

const file = z
  .strictObject({
    path: varFilePath.describe("Absolute path of the file; must be under /var/, the only writable tree"),
    content: z.string().describe("Text to write"),
    permissions,
    op: z
      .enum(["create", "append", "overwrite"])
      .default("create")
      .describe("`create` fails if the file exists, `append` adds to it, `overwrite` replaces it"),
  })
  .describe("A file written at boot");

const time = z
  .strictObject({
    disabled: z
      .boolean()
      .optional()
      .describe("Turn time synchronisation off (certificates need a correct clock)"),
    servers: z
      .array(hostOrIp)
      .optional()
      .describe("NTP servers, by name or address")
      .meta({ examples: [["time.cloudflare.com"]] }),
  })
  .prefault({})
  .describe("Time synchronisation");

const logDestination = z
  .strictObject({
    endpoint: logEndpoint.describe("Where to send logs: tcp://, udp:// or tls:// with host and port"),
    format: z.enum(["json_lines"]).default("json_lines").describe("Wire format: one JSON object per line"),
    ca: pemCertificate
      .optional()
      .describe("CA certificate(s) that sign the receiver's certificate, for tls:// (PEM)"),
    kernel: z.boolean().optional().describe("Also send kernel messages"),
  })
  .describe("A remote log receiver");

const logging = z
  .strictObject({
    destinations: z.array(logDestination).default([]).describe("Remote receivers of service and kernel logs"),
  })
  .prefault({})
  .describe("Sending logs off the machine");

const registries = z
  .strictObject({
    mirrors: z
      .record(
        registryHost,
        z
          .strictObject({
            endpoints: z.array(mirrorEndpoint).min(1).describe("Mirror URLs, tried in order"),
          })
          .describe("Mirrors of one registry"),
      )
      .optional()
      .describe("Pull-through mirrors, by registry host (`*` for every registry)")
      .meta({ examples: [{ "docker.io": { endpoints: ["https://mirror.example.com"] } }] }),
  })
  .prefault({})
  .describe("Container registry settings");

const kubelet = z
  .strictObject({
    image: imageReference
      .optional()
      .describe("Kubelet image; defaults to the one matching the Kubernetes version"),
    extraArgs: extraArgs.optional(),
    extraConfig: z
      .record(z.string(), z.unknown())
      .optional()
      .describe("Fields merged into the KubeletConfiguration, as in its reference")
      .meta({ examples: [{ serverTLSBootstrap: true }] }),
    nodeIPSubnets: z
      .array(cidr)
      .optional()
      .describe("Prefixes from which the kubelet picks the node IP")
      .meta({ examples: [["10.0.0.0/24"]] }),
  })
  .prefault({})
  .describe("Kubelet settings");

const logs = z
  .strictObject({
    bufferBytes: z
      .int()
      .min(64 * KiB)
      .max(64 * MiB)
      .default(MiB)
      .describe("Size of each service's in-memory log ring buffer, in bytes (64 KiB to 64 MiB)"),
  })
  .prefault({})
  .describe("Local log retention");

const features = z
  .strictObject({
    rbac: z
      .boolean()
      .default(true)
      .describe("Enforce API roles; when off, every authenticated client is an administrator"),
    apidCheckExtKeyUsage: z
      .boolean()
      .default(true)
      .describe("Require the clientAuth extended key usage on API client certificates"),
  })
  .prefault({})
  .describe("Security features; turn them off only to debug");

/**
 * The schema of the `MachineConfig` document: what one machine is and how it boots. Exactly one per
 * machine config file. Sections that may be left out default to their empty form, so code that
 * reads a parsed config never checks for a missing section.
 */
export const MachineConfigSchema = z
  .strictObject({
    ...documentHeader("MachineConfig"),
    type: z.enum(["controlplane", "worker"]).describe("Role of the machine in the cluster"),
    token: joinToken.describe("Token a worker presents to trustd to get its API certificate (a secret)"),
    ca: certificateAndKey("OS API certificate authority (apid and stelectl)"),
    certSANs: z
      .array(subjectAltName)
      .default([])
      .describe("Extra subject alternative names for the machine's API certificate")
      .meta({ examples: [["node-1.example.com", "10.0.0.11"]] }),
    debug: z.boolean().default(false).describe("Verbose logging of the OS services"),
    install,
    network,
    sysctls: z
      .record(sysctlName, scalarText)
      .default({})
      .describe("Kernel parameters, by dotted name")
      .meta({ examples: [{ "net.ipv4.ip_forward": "1" }] }),
    files: z.array(file).default([]).describe("Files written at boot, under /var/ only"),
    time,
    logging,
    registries,
    kubelet,
    logs,
    features,
  })
  .describe("What one machine is and how it boots. Exactly one per machine config file");

/** A parsed MachineConfig document, with defaults filled in. */
export type MachineConfig = z.infer<typeof MachineConfigSchema>;
/** A MachineConfig as it may be written: defaulted fields optional. */
export type MachineConfigInput = z.input<typeof MachineConfigSchema>;
