import { basename, join } from "node:path";
import type { Command } from "commander";
import { mintClientConfig, serializeClientConfig } from "../../machinery/client/index.ts";
import { ConfigError } from "../../machinery/config/config-error.ts";
import { configJsonSchema } from "../../machinery/config/config-json-schema.ts";
import { generateConfigs } from "../../machinery/config/generate-config.ts";
import { parseConfig } from "../../machinery/config/parse-config.ts";
import { parsePatch } from "../../machinery/config/patch/parse-patch.ts";
import type { Patch } from "../../machinery/config/patch/patch.ts";
import { patchConfig } from "../../machinery/config/patch-config.ts";
import {
  CONFIG_KIND_NAMES,
  type ConfigKind,
  isConfigKind,
} from "../../machinery/config/schema/config-kinds.ts";
import { serializeConfig } from "../../machinery/config/serialize-config.ts";
import { validateConfig } from "../../machinery/config/validate-config.ts";
import { CONFIG_API_VERSION } from "../../machinery/constants.ts";
import { parseDuration } from "../../machinery/duration.ts";
import { SteleError } from "../../machinery/errors.ts";
import {
  type CertificateAndKey,
  generateSecretsBundle,
  issueCertificate,
  loadCertificateAuthority,
  parseSecretsBundle,
  type SecretsBundle,
  serializeSecretsBundle,
} from "../../machinery/pki/index.ts";
import { parseRoles } from "../../machinery/role/roles.ts";
import { collect, readInputFile, readPatchArgument } from "../input.ts";
import { SECRET_FILE_MODE, writeOutputFiles } from "../output-files.ts";

/** Registers `stelectl gen …`: secrets, machine configs, certificates and the config JSON Schema. */
export function registerGenCommands(program: Command): void {
  const gen = program
    .command("gen")
    .description("Generate secrets, machine configs, certificates and schemas");

  gen
    .command("secrets")
    .description("Generate a cluster's secrets bundle: CAs per section, tokens, keys")
    .option("-o, --output-file <file>", "where to write the bundle", "secrets.yaml")
    .option("--ca-cert <file>", "a company CA certificate (PEM) to use as the OS API CA")
    .option("--ca-key <file>", "the private key (PEM) of --ca-cert")
    .option("--force", "replace an existing output file", false)
    .action(async (options: { outputFile: string; caCert?: string; caKey?: string; force: boolean }) => {
      const osCA = await readCompanyCA(options);
      const bundle = await generateSecretsBundle(osCA ? { osCA } : {});
      writeOutputFiles(
        [{ path: options.outputFile, content: serializeSecretsBundle(bundle), mode: SECRET_FILE_MODE }],
        {
          force: options.force,
        },
      );
      process.stderr.write(
        `wrote ${options.outputFile} (mode 0600): keep it safe, it holds every CA key of the cluster\n`,
      );
    });

  gen
    .command("config")
    .description("Generate controlplane.yaml, worker.yaml and a stelectlconfig for a new cluster")
    .argument("<name>", "cluster name (a DNS label)")
    .argument("<endpoint>", "Kubernetes API endpoint, https://HOST[:PORT]")
    .option("--with-secrets <file>", "use the secrets bundle from `stelectl gen secrets` (else generate one)")
    .option(
      "--config-patch <patch>",
      "patch for all configs: @file or inline YAML/JSON (repeatable)",
      collect,
      [],
    )
    .option(
      "--config-patch-control-plane <patch>",
      "patch for controlplane.yaml only (repeatable)",
      collect,
      [],
    )
    .option("--config-patch-worker <patch>", "patch for worker.yaml only (repeatable)", collect, [])
    .option("--kubernetes-version <version>", "Kubernetes version (one of the three this release supports)")
    .option("--install-disk <path>", "disk to install to on metal", "/dev/sda")
    .option("--install-image <ref>", "installer image")
    .option(
      "--additional-sans <san>",
      "extra SAN for the API server and apid certificates (repeatable)",
      collect,
      [],
    )
    .option("--ca-cert <file>", "company CA certificate to use as the OS API CA (without --with-secrets)")
    .option("--ca-key <file>", "the private key of --ca-cert")
    .option(
      "--trusted-roots <file>",
      "PEM bundle of extra roots to trust on every node (a TrustedRootsConfig)",
    )
    .option("--output-dir <dir>", "directory to write the files to", ".")
    .option("--force", "replace existing files", false)
    .action(async (name: string, endpoint: string, options: GenConfigOptions) => {
      await genConfig(name, endpoint, options);
    });

  gen
    .command("crt")
    .description("Issue a client certificate with roles from the OS API CA (writes NAME.crt and NAME.key)")
    .requiredOption("--ca-cert <file>", "CA certificate (PEM)")
    .requiredOption("--ca-key <file>", "CA private key (PEM)")
    .requiredOption("--name <name>", "common name and base file name")
    .option("--roles <roles>", "comma-separated roles, e.g. os:reader", "os:reader")
    .option("--ttl <duration>", "lifetime, e.g. 720h, 30d, 1y", "8760h")
    .option("--output-dir <dir>", "directory to write to", ".")
    .option("--force", "replace existing files", false)
    .action(
      async (options: {
        caCert: string;
        caKey: string;
        name: string;
        roles: string;
        ttl: string;
        outputDir: string;
        force: boolean;
      }) => {
        const ca = {
          crt: readInputFile(options.caCert, "--ca-cert"),
          key: readInputFile(options.caKey, "--ca-key"),
        };
        const issued = await issueCertificate({
          ca,
          commonName: options.name,
          organizations: parseRoles(options.roles.split(",")),
          usage: "client",
          ttlMs: parseDuration(options.ttl, { label: "--ttl" }),
          algorithm: "ed25519",
        });
        const crtPath = join(options.outputDir, `${options.name}.crt`);
        const keyPath = join(options.outputDir, `${options.name}.key`);
        writeOutputFiles(
          [
            { path: crtPath, content: issued.crt, mode: 0o644 },
            { path: keyPath, content: issued.key ?? "", mode: SECRET_FILE_MODE },
          ],
          { force: options.force, dir: options.outputDir },
        );
        process.stderr.write(`wrote ${crtPath} and ${keyPath} (mode 0600)\n`);
      },
    );

  gen
    .command("schema")
    .description("Print the JSON Schema of the machine config documents")
    .option("--kind <kind>", `one kind only: ${CONFIG_KIND_NAMES.join(", ")}`)
    .action((options: { kind?: string }) => {
      let kind: ConfigKind | undefined;
      if (options.kind !== undefined) {
        if (!isConfigKind(options.kind)) {
          throw new SteleError(
            "invalid-argument",
            `Unknown config kind: ${JSON.stringify(options.kind)}`,
            `kinds are ${CONFIG_KIND_NAMES.join(", ")}`,
          );
        }
        kind = options.kind;
      }
      process.stdout.write(`${JSON.stringify(configJsonSchema(kind), null, 2)}\n`);
    });
}

interface GenConfigOptions {
  withSecrets?: string;
  configPatch: string[];
  configPatchControlPlane: string[];
  configPatchWorker: string[];
  kubernetesVersion?: string;
  installDisk: string;
  installImage?: string;
  additionalSans: string[];
  caCert?: string;
  caKey?: string;
  trustedRoots?: string;
  outputDir: string;
  force: boolean;
}

async function genConfig(name: string, endpoint: string, options: GenConfigOptions): Promise<void> {
  // Read and check every input before generating anything, so a bad patch costs no keys.
  const patches = (list: string[], flag: string): Patch[] =>
    list.map((argument) => {
      const { text, source } = readPatchArgument(argument, flag);
      return parsePatch(text, { source });
    });
  const common = patches(options.configPatch, "--config-patch");
  const controlPlanePatches = patches(options.configPatchControlPlane, "--config-patch-control-plane");
  const workerPatches = patches(options.configPatchWorker, "--config-patch-worker");

  let secrets: SecretsBundle;
  if (options.withSecrets !== undefined) {
    if (options.caCert || options.caKey) {
      throw new SteleError(
        "invalid-argument",
        "--ca-cert/--ca-key cannot be combined with --with-secrets: the bundle already holds the OS CA",
        "pass --ca-cert/--ca-key to `stelectl gen secrets` instead",
      );
    }
    secrets = parseSecretsBundle(readInputFile(options.withSecrets, "--with-secrets"), {
      file: options.withSecrets,
    });
  } else {
    const osCA = await readCompanyCA(options);
    secrets = await generateSecretsBundle(osCA ? { osCA } : {});
  }

  const generated = generateConfigs({
    clusterName: name,
    endpoint,
    secrets,
    kubernetesVersion: options.kubernetesVersion,
    installDisk: options.installDisk,
    installImage: options.installImage,
    additionalSANs: options.additionalSans,
  });

  const extraDocuments = options.trustedRoots ? [trustedRootsDocument(options.trustedRoots)] : [];
  const finish = (file: string, documents: readonly unknown[], typePatches: Patch[]) => {
    const base = parseConfig(
      serializeConfig([...documents, ...extraDocuments] as Parameters<typeof serializeConfig>[0]),
      {
        file,
      },
    );
    const patched = patchConfig(base, [...common, ...typePatches]);
    const issues = validateConfig(patched, { mode: "metal" }).filter((issue) => issue.severity === "error");
    if (issues.length > 0) throw new ConfigError(issues);
    return serializeConfig(patched.documents);
  };
  const controlplane = finish("controlplane.yaml", generated.controlplane, controlPlanePatches);
  const worker = finish("worker.yaml", generated.worker, workerPatches);

  const client = await mintClientConfig({
    osCA: secrets.certs.os,
    roles: ["os:admin"],
    contextName: name,
    endpoints: [generated.endpoint.hostname.replace(/^\[|\]$/g, "")],
    nodes: [],
  });

  const dir = options.outputDir;
  const files = [
    { path: join(dir, "controlplane.yaml"), content: controlplane, mode: SECRET_FILE_MODE },
    { path: join(dir, "worker.yaml"), content: worker, mode: SECRET_FILE_MODE },
    { path: join(dir, "stelectlconfig"), content: serializeClientConfig(client), mode: SECRET_FILE_MODE },
  ];
  writeOutputFiles(files, { force: options.force, dir });
  for (const file of files) process.stderr.write(`wrote ${file.path} (mode 0600)\n`);
}

/** Reads `--ca-cert`/`--ca-key` (both or neither) and checks they form a usable CA. */
async function readCompanyCA(options: {
  caCert?: string;
  caKey?: string;
}): Promise<CertificateAndKey | undefined> {
  if (!options.caCert && !options.caKey) return undefined;
  if (!options.caCert || !options.caKey) {
    throw new SteleError(
      "invalid-argument",
      `--ca-cert and --ca-key go together: only ${options.caCert ? "--ca-cert" : "--ca-key"} was given`,
      "pass the company CA certificate and its private key",
    );
  }
  const ca = {
    crt: readInputFile(options.caCert, "--ca-cert"),
    key: readInputFile(options.caKey, "--ca-key"),
  };
  await loadCertificateAuthority(ca, { label: "--ca-cert" });
  return ca;
}

function trustedRootsDocument(path: string) {
  const certificates = readInputFile(path, "--trusted-roots");
  const name =
    basename(path)
      .replace(/\.[^.]*$/, "")
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, "-")
      .replace(/^-+|-+$/g, "") || "extra-roots";
  return { apiVersion: CONFIG_API_VERSION, kind: "TrustedRootsConfig", name, certificates };
}
