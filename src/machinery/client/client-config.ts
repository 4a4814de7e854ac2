import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { isSteleError } from "../errors.ts";
import { readCertificate, readPrivateKey } from "../pki/read-pem.ts";
import {
  formatPath,
  issuesFromZod,
  type LoadedYaml,
  loadYaml,
  sortIssues,
  toYaml,
  type YamlIssue,
  yamlIssuesError,
} from "../pki/yaml-document.ts";

/** Where stelectl keeps its client config unless told otherwise (`~` is the user's home). */
export const DEFAULT_CLIENT_CONFIG_PATH = "~/.stele/config";

/** The environment variable naming another client config file, like TALOSCONFIG and KUBECONFIG. */
export const CLIENT_CONFIG_ENV = "STELECONFIG";

const pem = z.string().min(1, { error: "expected PEM text" });
// host, host:port, IPv4, [IPv6]:port or bare IPv6; never a URL, since the scheme is always gRPC over TLS.
const endpoint = z.string().regex(/^[^\s/]+$/, {
  error: "expected a host or address with an optional port, such as 10.5.0.2 or node-1:50000",
});

/** The schema of one context: where to connect and with which credentials. */
export const clientContextSchema = z.strictObject({
  endpoints: z
    .array(endpoint)
    .describe("The apid addresses the client dials; requests are proxied from there to nodes"),
  nodes: z
    .array(z.string().min(1, { error: "expected a node name or address" }))
    .default([])
    .describe("The default target nodes of commands (--nodes overrides them)"),
  ca: pem.describe("The OS API CA certificate that apid's server certificates are checked against"),
  crt: pem.describe("The client certificate; its Organization values are the roles it grants"),
  key: pem.describe("The client certificate's private key"),
});

/** The schema of a client config file (stelectlconfig), which holds any number of named contexts. */
export const clientConfigSchema = z.strictObject({
  context: z.string().describe("The current context; empty only when there are no contexts"),
  contexts: z.record(z.string().min(1, { error: "expected a non-empty context name" }), clientContextSchema),
});

/** One context of a client config. */
export type ClientContext = z.infer<typeof clientContextSchema>;

/** A client config: named contexts and the current one. */
export type ClientConfig = z.infer<typeof clientConfigSchema>;

const WHAT = "Client config";
const HINT = "Fix the fields named above, or create the config again with `stelectl config new`";

/** A config with no contexts, what a first `stelectl config merge` merges into. */
export function emptyClientConfig(): ClientConfig {
  return { context: "", contexts: {} };
}

/**
 * The client config file to use: the `--stelectlconfig` flag, else `$STELECONFIG`, else
 * `~/.stele/config`. A leading `~/` is expanded, as shells do not expand it in `--flag=~/x`.
 */
export function resolveClientConfigPath(
  options: { flag?: string; env?: Readonly<Record<string, string | undefined>>; home?: string } = {},
): string {
  const home = options.home ?? homedir();
  const chosen =
    options.flag || (options.env ?? process.env)[CLIENT_CONFIG_ENV] || DEFAULT_CLIENT_CONFIG_PATH;
  return chosen === "~" ? home : chosen.startsWith("~/") ? join(home, chosen.slice(2)) : chosen;
}

/**
 * Reads a client config. Every problem is reported at once with `file:line:column path`: YAML
 * syntax, unknown or missing fields, unreadable PEM, a key that does not match its certificate,
 * and a current context that does not exist. Throws SteleError("invalid-config").
 */
export function parseClientConfig(text: string, options: { file: string }): ClientConfig {
  const loaded = loadYaml(text, { file: options.file, what: WHAT, hint: HINT });
  if (loaded.value === null || loaded.value === undefined) return emptyClientConfig();
  const result = clientConfigSchema.safeParse(loaded.value);
  const issues = [...(result.success ? [] : issuesFromZod(result.error, loaded)), ...checkContexts(loaded)];
  if (!result.success || issues.length > 0)
    throw yamlIssuesError(WHAT, options.file, sortIssues(issues), HINT);
  const config = result.data;
  const names = Object.keys(config.contexts);
  if (config.context === "" ? names.length > 0 : !names.includes(config.context)) {
    const issue = {
      ...loaded.locate(["context"]),
      path: "context",
      message:
        names.length === 0
          ? `the current context ${JSON.stringify(config.context)} does not exist: there are no contexts`
          : `the current context ${JSON.stringify(config.context)} does not exist; contexts are ${names.join(", ")}`,
    };
    throw yamlIssuesError(
      WHAT,
      options.file,
      [issue],
      "Set `context` to one of the contexts, or use `stelectl config context <name>`",
    );
  }
  return config;
}

/** Writes a client config as YAML, PEM as block literals. */
export function serializeClientConfig(config: ClientConfig): string {
  return toYaml({ context: config.context, contexts: config.contexts });
}

/** Checks each context's PEM on the raw document, so one run reports them with the structural issues. */
function checkContexts(loaded: LoadedYaml): YamlIssue[] {
  const issues: YamlIssue[] = [];
  const contexts = (loaded.value as { contexts?: unknown }).contexts;
  if (contexts === null || typeof contexts !== "object") return issues;
  for (const [name, context] of Object.entries(contexts as Record<string, unknown>)) {
    if (context === null || typeof context !== "object") continue;
    const fields = context as Record<string, unknown>;
    const read = <T>(field: string, reader: (text: string) => T): T | undefined => {
      const text = fields[field];
      if (typeof text !== "string" || text === "") return undefined;
      try {
        return reader(text);
      } catch (error) {
        if (!isSteleError(error)) throw error;
        const path = ["contexts", name, field];
        issues.push({
          ...loaded.locate(path),
          path: formatPath(path),
          message: error.message.replace(/^(\w)/, (c) => c.toLowerCase()),
        });
        return undefined;
      }
    };
    read("ca", (text) => readCertificate(text, { label: "this field" }));
    const certificate = read("crt", (text) => readCertificate(text, { label: "this field" }));
    const key = read("key", (text) => readPrivateKey(text, { label: "this field" }));
    if (certificate && key && !certificate.node.checkPrivateKey(key)) {
      const path = ["contexts", name, "key"];
      issues.push({
        ...loaded.locate(path),
        path: formatPath(path),
        message: `the private key does not match the certificate in ${formatPath(["contexts", name, "crt"])}`,
      });
    }
  }
  return issues;
}
