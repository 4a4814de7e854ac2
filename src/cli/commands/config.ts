import { existsSync } from "node:fs";
import type { Command } from "commander";
import {
  type ClientConfig,
  type ClientContext,
  mergeClientConfig,
  mintClientConfig,
  parseClientConfig,
  selectContext,
  serializeClientConfig,
} from "../../machinery/client/index.ts";
import { parseConfig } from "../../machinery/config/parse-config.ts";
import { parseDuration } from "../../machinery/duration.ts";
import { SteleError } from "../../machinery/errors.ts";
import { type CertificateAndKey, inspectCertificate, parseSecretsBundle } from "../../machinery/pki/index.ts";
import { parseRoles, ROLE_DESCRIPTIONS, ROLES, type Role } from "../../machinery/role/roles.ts";
import { callUnary, fanOut } from "../client/fan-out.ts";
import { formatTable } from "../client/format-table.ts";
import { openNodeSession } from "../client/node-session.ts";
import {
  clientConfigPath,
  type GlobalClientOptions,
  readClientConfig,
  writeClientConfig,
} from "../client-config-file.ts";
import { readInputFile } from "../input.ts";
import { SECRET_FILE_MODE, writeOutputFiles } from "../output-files.ts";

/** Registers `stelectl config …`: the client config's contexts, endpoints, nodes, and new credentials. */
export function registerConfigCommands(program: Command): void {
  const config = program
    .command("config")
    .description("Manage the client config (stelectlconfig): contexts, endpoints, credentials");

  config
    .command("new")
    .description("Mint a client config with chosen roles (e.g. a read-only one for monitoring)")
    .argument("[output]", "file to write", "stelectlconfig")
    .option("--roles <roles>", `comma-separated roles: ${ROLES.join(", ")}`, "os:reader")
    .option("--ttl <duration>", "certificate lifetime, e.g. 720h, 30d, 1y", "8760h")
    .option("--with-secrets <file>", "sign with the OS CA of this secrets bundle")
    .option("--from-config <file>", "sign with the OS CA key of this controlplane machine config")
    .option("--force", "replace an existing output file", false)
    .addHelpText(
      "after",
      `\nRoles:\n${ROLES.map((role) => `  ${role.padEnd(16)}${ROLE_DESCRIPTIONS[role]}`).join("\n")}\n\nWithout --with-secrets or --from-config, the first node of the current context mints the config\n(an admin client config is needed; only a control plane can). Offline, the context name, endpoints\nand nodes are copied from the current context when there is one.`,
    )
    .action(
      async (
        output: string,
        options: { roles: string; ttl: string; withSecrets?: string; fromConfig?: string; force: boolean },
        command: Command,
      ) => {
        const roles = parseRoles(options.roles.split(","));
        const ttlMs = parseDuration(options.ttl, { label: "--ttl" });
        const osCA = readSigningCA(options);
        // Checked before a node is asked: a credential minted only to be thrown away is still issued.
        refuseExisting(output, options.force);
        const minted = osCA
          ? await mintOffline(osCA, { roles, ttlMs, command })
          : await mintOnline(command, { roles, ttlMs });
        if (!minted) return; // the node's failure is already printed, the exit code set
        writeOutputFiles(
          [{ path: output, content: serializeClientConfig(minted.config), mode: SECRET_FILE_MODE }],
          {
            force: options.force,
          },
        );
        process.stderr.write(
          `wrote ${output} (mode 0600) with roles ${roles.join(", ")}, valid ${options.ttl}${minted.node ? `, minted by node ${minted.node}` : ""}\n`,
        );
      },
    );

  config
    .command("merge")
    .description(
      "Merge a client config into yours; contexts with a taken name are renamed, never overwritten",
    )
    .argument("<file>", "client config to merge, e.g. ./stelectlconfig from `gen config`")
    .action((file: string, _options: unknown, command: Command) => {
      const path = clientConfigPath(command);
      const from = parseClientConfig(readInputFile(file, "client config to merge"), { file });
      const { config: merged, renamed } = mergeClientConfig(readClientConfig(path), from);
      writeClientConfig(path, merged);
      for (const [was, now] of renamed)
        process.stderr.write(`renamed context ${was} to ${now}: ${was} already existed\n`);
      process.stderr.write(`merged into ${path}; current context: ${merged.context}\n`);
    });

  config
    .command("contexts")
    .description("List the contexts")
    .action((_options: unknown, command: Command) => {
      const current = readClientConfig(clientConfigPath(command));
      const rows = Object.entries(current.contexts).map(([name, context]) => [
        name === current.context ? "*" : "",
        name,
        context.endpoints.join(",") || "-",
        context.nodes.join(",") || "-",
        rolesOf(context.crt),
      ]);
      process.stdout.write(formatTable([["CURRENT", "NAME", "ENDPOINTS", "NODES", "ROLES"], ...rows]));
    });

  config
    .command("context")
    .description("Switch the current context")
    .argument("<name>", "context name")
    .action((name: string, _options: unknown, command: Command) => {
      const path = clientConfigPath(command);
      const current = readClientConfig(path);
      selectContext(current, name);
      writeClientConfig(path, { ...current, context: name });
      process.stderr.write(`current context: ${name}\n`);
    });

  config
    .command("info")
    .description("Show the current context: endpoints, nodes, roles, certificate expiry")
    .action((_options: unknown, command: Command) => {
      const selected = selectContext(readClientConfig(clientConfigPath(command)), contextFlag(command));
      const certificate = inspectCertificate(selected.context.crt, { label: `context ${selected.name} crt` });
      process.stdout.write(
        formatTable([
          ["Current context:", selected.name],
          ["Endpoints:", selected.context.endpoints.join(", ") || "(none)"],
          ["Nodes:", selected.context.nodes.join(", ") || "(none)"],
          ["Roles:", certificate.organizations.join(", ")],
          ["Certificate expires:", certificate.notAfter.toISOString()],
        ]),
      );
    });

  for (const [name, field, what] of [
    ["endpoint", "endpoints", "endpoints (the apid addresses stelectl dials)"],
    ["node", "nodes", "default target nodes"],
  ] as const) {
    config
      .command(name)
      .description(`Set the current context's ${what}`)
      .argument("<address...>", "one or more addresses")
      .action((addresses: string[], _options: unknown, command: Command) => {
        const path = clientConfigPath(command);
        const current = readClientConfig(path);
        const selected = selectContext(current, contextFlag(command));
        const updated: ClientConfig = {
          ...current,
          contexts: { ...current.contexts, [selected.name]: { ...selected.context, [field]: addresses } },
        };
        writeClientConfig(path, updated);
        process.stderr.write(`${selected.name}: ${field} = ${addresses.join(", ")}\n`);
      });
  }
}

function contextFlag(command: Command): string | undefined {
  return (command.optsWithGlobals() as GlobalClientOptions).context;
}

function tryCurrentContext(command: Command) {
  try {
    return selectContext(readClientConfig(clientConfigPath(command)), contextFlag(command));
  } catch {
    return undefined;
  }
}

/** The CA to mint offline with, or undefined when neither flag asks for it and a node is to mint. */
function readSigningCA(options: {
  withSecrets?: string;
  fromConfig?: string;
}): CertificateAndKey | undefined {
  if (options.withSecrets && options.fromConfig) {
    throw new SteleError(
      "invalid-argument",
      "--with-secrets and --from-config exclude each other",
      "pass one of them",
    );
  }
  if (options.withSecrets) {
    return parseSecretsBundle(readInputFile(options.withSecrets, "--with-secrets"), {
      file: options.withSecrets,
    }).certs.os;
  }
  if (options.fromConfig) {
    const machine = parseConfig(readInputFile(options.fromConfig, "--from-config"), {
      file: options.fromConfig,
    }).machineConfig;
    if (!machine.ca.key) {
      throw new SteleError(
        "invalid-argument",
        `${options.fromConfig} holds no OS CA key: only a control plane's config does`,
        "pass the controlplane.yaml or the secrets bundle (--with-secrets)",
      );
    }
    return { crt: machine.ca.crt, key: machine.ca.key };
  }
  return undefined;
}

/** A minted client config, and the node that minted it when one did. */
interface Minted {
  config: ClientConfig;
  node?: string;
}

/** Mints locally with the given CA; the context name, endpoints and nodes come from the current context. */
async function mintOffline(
  osCA: CertificateAndKey,
  options: { roles: Role[]; ttlMs: number; command: Command },
): Promise<Minted> {
  const current = tryCurrentContext(options.command);
  const config = await mintClientConfig({
    osCA,
    roles: options.roles,
    ttlMs: options.ttlMs,
    contextName: current?.name ?? "stele",
    endpoints: current?.context.endpoints ?? [],
    nodes: current?.context.nodes ?? [],
  });
  return { config };
}

/**
 * Asks the first node of the current context to mint (GenerateClientConfiguration, admin only), as
 * `talosctl config new` does: the node signs with its OS CA key, which never leaves it. One node
 * only, because every control plane holds the same CA and one credential is what was asked for.
 * The reply's endpoints are kept; where it has no endpoints or nodes the current context's are.
 * Undefined when the node failed (fanOut printed why and set the exit code).
 */
async function mintOnline(
  command: Command,
  options: { roles: Role[]; ttlMs: number },
): Promise<Minted | undefined> {
  const session = await openNodeSession(command);
  try {
    const first = session.targets.slice(0, 1);
    const replies = await fanOut({ ...session, targets: first }, (target) =>
      callUnary(target.machine, "generateClientConfiguration", {
        request: { roles: options.roles, crtTtl: toDuration(options.ttlMs) },
        metadata: target.metadata,
      }),
    );
    const reply = replies[0];
    if (!reply) return undefined;
    const message = reply.value[0];
    if (!message) {
      throw new SteleError(
        "internal",
        `Node ${reply.node} answered GenerateClientConfiguration without a client config`,
        "Check the node's version with `stelectl version`; minting offline with --with-secrets works meanwhile",
      );
    }
    const minted = parseClientConfig(message.stelectlconfig.toString("utf8"), {
      file: `the client config from node ${reply.node}`,
    });
    const current = tryCurrentContext(command);
    return { config: withFallbacks(minted, current?.context), node: reply.node };
  } finally {
    session.close();
  }
}

/** Fills a minted config's empty endpoints and nodes from the context it was asked through. */
function withFallbacks(minted: ClientConfig, current: ClientContext | undefined): ClientConfig {
  if (!current) return minted;
  const contexts = Object.fromEntries(
    Object.entries(minted.contexts).map(([name, context]) => [
      name,
      {
        ...context,
        endpoints: context.endpoints.length > 0 ? context.endpoints : [...current.endpoints],
        nodes: context.nodes.length > 0 ? context.nodes : [...current.nodes],
      },
    ]),
  );
  return { ...minted, contexts };
}

function toDuration(ms: number): { seconds: bigint; nanos: number } {
  const whole = Math.floor(ms / 1000);
  return { seconds: BigInt(whole), nanos: Math.round((ms - whole * 1000) * 1e6) };
}

/** The same refusal as writeOutputFiles, made before anything is minted. */
function refuseExisting(output: string, force: boolean): void {
  if (force || !existsSync(output)) return;
  throw new SteleError(
    "already-exists",
    `Refusing to overwrite: ${output} already exists`,
    "pass --force to replace it, or choose another output file",
  );
}

function rolesOf(crt: string): string {
  try {
    return inspectCertificate(crt).organizations.join(",");
  } catch {
    return "(unreadable)";
  }
}
