/**
 * apid as a program: reads its arguments and the machine config, chooses its identity (maintenance,
 * control plane, or worker via trustd) and serves until aborted. `main.ts` runs it.
 */
import { readFile } from "node:fs/promises";
import { networkInterfaces, hostname as osHostname } from "node:os";
import { join } from "node:path";
import type { Writable } from "node:stream";
import { parseArgs } from "node:util";
import { findDocument, type MachineConfig, parseConfig } from "../../machinery/config/index.ts";
import { APID_PORT } from "../../machinery/constants.ts";
import { isSteleError, SteleError } from "../../machinery/errors.ts";
import { requestCertificate } from "../../machinery/trustd/index.ts";
import { type ApidIdentity, startApid } from "./apid.ts";
import { type ApidLogger, jsonLineLogger } from "./apid-logger.ts";
import { apidSubjectAltNames } from "./apid-subject-alt-names.ts";
import { issueApidCertificates } from "./issue-apid-certificates.ts";

/** Options of `runApid`. */
export interface RunApidOptions {
  /** The command-line arguments after the script. */
  argv: readonly string[];
  /** Where log lines go (stdout). */
  out: Pick<Writable, "write">;
  /** Aborted on SIGTERM: apid then closes and `runApid` resolves 0. */
  signal: AbortSignal;
  /** How a worker gets its certificate from trustd; the real `requestCertificate` by default. */
  requestCertificate?: typeof requestCertificate;
  /** The machine's addresses; the non-internal addresses of `os.networkInterfaces()` by default. */
  addresses?: readonly string[];
}

const USAGE = "Usage: node src/app/apid/main.ts --state-dir DIR [--config FILE] [--listen 0.0.0.0:50000]";

/**
 * Runs apid until `signal` aborts and resolves the exit code: 0 after a clean stop, 1 when it
 * could not start (the reason is logged with its hint). Without `--config` the node is in
 * maintenance mode; with a control-plane config apid issues its own certificates from the OS CA;
 * with a worker config it asks trustd for one and serves nothing until it has it.
 */
export async function runApid(options: RunApidOptions): Promise<number> {
  const logger = jsonLineLogger(options.out);
  try {
    const args = parseApidArgs(options.argv);
    const machinedSocket = join(args.stateDir, "run", "machine.sock");
    const addresses = options.addresses ?? machineAddresses();
    const setup = await identityFor(args, addresses, {
      logger,
      signal: options.signal,
      requestCertificate: options.requestCertificate ?? requestCertificate,
    });
    if (options.signal.aborted) return 0;
    const apid = await startApid({
      listen: args.listen,
      machinedSocket,
      identity: setup.identity,
      ...(setup.impersonator ? { impersonator: setup.impersonator } : {}),
      localNames: setup.localNames,
      checkExtKeyUsage: setup.checkExtKeyUsage,
      logger,
    });
    await new Promise<void>((resolve) => {
      if (options.signal.aborted) resolve();
      options.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    await apid.close();
    logger.info({}, "apid stopped");
    return 0;
  } catch (error) {
    if (options.signal.aborted) return 0;
    if (isSteleError(error)) {
      logger.error({ code: error.code, hint: error.hint }, error.message);
    } else {
      logger.error({ error }, "apid failed");
    }
    return 1;
  }
}

interface ApidArgs {
  stateDir: string;
  config: string | undefined;
  listen: string;
}

function parseApidArgs(argv: readonly string[]): ApidArgs {
  let values: { "state-dir"?: string | undefined; config?: string | undefined; listen?: string | undefined };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { "state-dir": { type: "string" }, config: { type: "string" }, listen: { type: "string" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new SteleError("invalid-argument", `Invalid arguments: ${(error as Error).message}`, USAGE);
  }
  const stateDir = values["state-dir"];
  if (stateDir === undefined || stateDir === "") {
    throw new SteleError("invalid-argument", "Invalid arguments: --state-dir is required", USAGE);
  }
  return { stateDir, config: values.config, listen: values.listen ?? `0.0.0.0:${APID_PORT}` };
}

interface IdentitySetup {
  identity: ApidIdentity;
  impersonator?: { crt: string; key: string };
  localNames: string[];
  checkExtKeyUsage: boolean;
}

async function identityFor(
  args: ApidArgs,
  addresses: readonly string[],
  options: { logger: ApidLogger; signal: AbortSignal; requestCertificate: typeof requestCertificate },
): Promise<IdentitySetup> {
  if (args.config === undefined) {
    const sans = apidSubjectAltNames({ hostname: osHostname(), listen: args.listen, addresses });
    return {
      identity: { maintenance: true, hostnames: sans.hostnames, ips: sans.ips },
      localNames: [...sans.hostnames, ...sans.ips],
      checkExtKeyUsage: true,
    };
  }
  const parsed = parseConfig(await readFile(args.config, "utf8"), { file: args.config });
  const machine = parsed.machineConfig;
  const sans = apidSubjectAltNames({
    certSANs: machine.certSANs,
    hostname: machine.network.hostname ?? osHostname(),
    listen: args.listen,
    addresses: [...addresses, ...configAddresses(machine)],
  });
  const common = {
    localNames: [...sans.hostnames, ...sans.ips],
    checkExtKeyUsage: machine.features.apidCheckExtKeyUsage,
  };
  if (machine.type === "controlplane") {
    if (machine.ca.key === undefined) {
      throw new SteleError(
        "invalid-config",
        `Cannot issue apid's certificate: ${args.config} is a control-plane config without the OS CA key (MachineConfig ca.key)`,
        "Generate the control-plane config with stelectl gen config, which includes the key",
      );
    }
    const issued = await issueApidCertificates({ ca: { crt: machine.ca.crt, key: machine.ca.key }, ...sans });
    return {
      identity: { ca: machine.ca.crt, crt: issued.server.crt, key: issued.server.key },
      impersonator: issued.impersonator,
      ...common,
    };
  }
  const cluster = findDocument(parsed.documents, "ClusterConfig");
  if (cluster === undefined) {
    throw new SteleError(
      "invalid-config",
      `Cannot reach trustd: ${args.config} has no ClusterConfig naming the control plane`,
      "Use the worker config stelectl gen config wrote, which has a ClusterConfig document",
    );
  }
  const endpoint = new URL(cluster.controlPlane.endpoint).hostname;
  options.logger.info({ endpoint }, "Requesting apid's certificate from trustd");
  const issued = await options.requestCertificate({
    endpoints: [endpoint],
    token: machine.token,
    caPem: machine.ca.crt,
    hostnames: sans.hostnames,
    ips: sans.ips,
    signal: options.signal,
    onAttempt: (attempt) =>
      options.logger.warn({ attempt: attempt.attempt, retryInMs: attempt.nextDelayMs }, attempt.error),
  });
  options.logger.info({ endpoint }, "Got apid's certificate from trustd");
  return { identity: { ca: machine.ca.crt, crt: issued.crt, key: issued.key }, ...common };
}

function configAddresses(machine: MachineConfig): string[] {
  return (machine.network.interfaces ?? []).flatMap((networkInterface) => networkInterface.addresses ?? []);
}

function machineAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((address) => !address.internal)
    .map((address) => address.address);
}
