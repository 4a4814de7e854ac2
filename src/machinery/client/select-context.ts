import { SteleError } from "../errors.ts";
import { inspectCertificate } from "../pki/inspect-certificate.ts";
import type { ClientConfig, ClientContext } from "./client-config.ts";

/** A context with its name, as commands use it. */
export interface SelectedContext {
  name: string;
  context: ClientContext;
}

/**
 * The context a command uses: the one named (by `--context`), else the current one. An unknown
 * name is refused with the list of contexts, so a typo never silently talks to another cluster.
 */
export function selectContext(config: ClientConfig, name?: string): SelectedContext {
  const names = Object.keys(config.contexts);
  const wanted = name ?? config.context;
  if (wanted === "") {
    throw new SteleError(
      "failed-precondition",
      names.length === 0
        ? "No client context: the client config has no contexts"
        : "No client context: none is current",
      names.length === 0
        ? "Merge the config `stelectl gen config` wrote with `stelectl config merge ./stelectlconfig`, or pass --stelectlconfig"
        : `Pick one with --context or \`stelectl config context <name>\`; contexts are ${names.join(", ")}`,
    );
  }
  if (!Object.hasOwn(config.contexts, wanted)) {
    throw new SteleError(
      "not-found",
      `Unknown client context: ${JSON.stringify(wanted)}`,
      names.length === 0 ? "The client config has no contexts" : `Contexts are ${names.join(", ")}`,
    );
  }
  return { name: wanted, context: config.contexts[wanted]! };
}

/** Options of `ensureContext`: command-line overrides and the time to check the certificate at. */
export interface EnsureContextOptions {
  /** `--context`. */
  context?: string;
  /** `--endpoints`, replacing the context's when non-empty. */
  endpoints?: readonly string[];
  /** `--nodes`, replacing the context's when non-empty. */
  nodes?: readonly string[];
  now?: Date;
}

/**
 * The context a command connects with, made ready: selected as `selectContext` does, with the
 * command line's endpoints and nodes applied, and checked to be usable before any connection is
 * tried, because "connection refused" or a TLS alert explains nothing: it must have an endpoint,
 * and its client certificate must be valid now.
 */
export function ensureContext(config: ClientConfig, options: EnsureContextOptions = {}): SelectedContext {
  const selected = selectContext(config, options.context);
  const context: ClientContext = {
    ...selected.context,
    endpoints: options.endpoints?.length ? [...options.endpoints] : [...selected.context.endpoints],
    nodes: options.nodes?.length ? [...options.nodes] : [...selected.context.nodes],
  };
  if (context.endpoints.length === 0) {
    throw new SteleError(
      "failed-precondition",
      `Client context ${JSON.stringify(selected.name)} has no endpoints`,
      "Pass --endpoints, or set them with `stelectl config endpoint <address>…`",
    );
  }
  const certificate = inspectCertificate(context.crt, { label: `context ${selected.name} crt` });
  const now = options.now ?? new Date();
  if (certificate.notAfter <= now) {
    throw new SteleError(
      "failed-precondition",
      `Client certificate of context ${JSON.stringify(selected.name)} expired on ${certificate.notAfter.toISOString()}`,
      "Mint a new one with `stelectl config new` using the OS CA of the secrets bundle",
    );
  }
  if (certificate.notBefore > now) {
    throw new SteleError(
      "failed-precondition",
      `Client certificate of context ${JSON.stringify(selected.name)} is not valid before ${certificate.notBefore.toISOString()}`,
      "Check this machine's clock",
    );
  }
  return { name: selected.name, context };
}
