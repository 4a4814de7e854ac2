/**
 * Test support for stelectl's node commands: a PKI made at test start, a fake apid (a real grpc-js
 * server on 127.0.0.1:0 with apid's own TLS 1.3 credentials, serving the generated services with
 * canned handlers), a client config file pointing at it, and a runner of the real stelectl that
 * captures what it prints. Only the node behind apid is fake; TLS, gRPC and the CLI are real.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Server, type ServerCredentials, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { serverCredentials } from "../../app/apid/index.ts";
import {
  type MachineServiceServer,
  MachineServiceService,
} from "../../machinery/api/machine/v1alpha1/machine.ts";
import {
  type VersionServiceServer,
  VersionServiceService,
} from "../../machinery/api/machine/v1alpha1/version.ts";
import {
  type ResourceServiceServer,
  ResourceServiceService,
} from "../../machinery/api/resource/v1alpha1/resource.ts";
import { serializeClientConfig } from "../../machinery/client/index.ts";
import {
  type CertificateAndKey,
  createCertificateAuthority,
  issueCertificate,
} from "../../machinery/pki/index.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

/** The certificates of one test run. */
export interface ClientTestPki {
  ca: CertificateAndKey;
  /** Another cluster's CA. */
  otherCa: CertificateAndKey;
  /** apid's server certificate for 127.0.0.1, signed by `ca`. */
  server: CertificateAndKey;
  /** A server certificate for 127.0.0.1 signed by `otherCa`. */
  otherServer: CertificateAndKey;
  /** A server certificate signed by `ca` that names only 10.9.9.9. */
  misnamedServer: CertificateAndKey;
  admin: CertificateAndKey;
  /** os:admin, expired yesterday. */
  expired: CertificateAndKey;
  /** os:admin signed by `otherCa`. */
  otherCluster: CertificateAndKey;
}

/** Makes the PKI of a test run (ECDSA P-256, a few tens of milliseconds). */
export async function generateClientTestPki(): Promise<ClientTestPki> {
  const now = Date.now();
  const ca = await createCertificateAuthority({
    commonName: "stele os",
    algorithm: "ecdsa-p256",
    ttlMs: 30 * DAY_MS,
  });
  const otherCa = await createCertificateAuthority({
    commonName: "other os",
    algorithm: "ecdsa-p256",
    ttlMs: 30 * DAY_MS,
  });
  const leaf = async (
    signer: CertificateAndKey,
    usage: "client" | "server",
    options: { ips?: string[]; now?: number } = {},
  ): Promise<CertificateAndKey> => {
    const issued = await issueCertificate({
      ca: signer,
      commonName: usage === "server" ? "apid" : "test-admin",
      organizations: usage === "client" ? ["os:admin"] : [],
      usage,
      ipAddresses: usage === "server" ? (options.ips ?? ["127.0.0.1"]) : [],
      ttlMs: DAY_MS,
      now: new Date(options.now ?? now),
    });
    return { crt: issued.crt, key: issued.key ?? "" };
  };
  return {
    ca,
    otherCa,
    server: await leaf(ca, "server"),
    otherServer: await leaf(otherCa, "server"),
    misnamedServer: await leaf(ca, "server", { ips: ["10.9.9.9"] }),
    admin: await leaf(ca, "client"),
    expired: await leaf(ca, "client", { now: now - 3 * DAY_MS }),
    otherCluster: await leaf(otherCa, "client"),
  };
}

/** The canned handlers of a fake apid; a missing one answers UNIMPLEMENTED, as grpc-js does. */
export interface FakeApidHandlers {
  machine?: Partial<MachineServiceServer>;
  resource?: Partial<ResourceServiceServer>;
  version?: Partial<VersionServiceServer>;
}

/** A running fake apid. */
export interface FakeApid {
  port: number;
  address: string;
  close(): Promise<void>;
}

/** Starts a fake apid on 127.0.0.1:0 with the given credentials (apid's by default: mutual TLS 1.3). */
export async function startFakeApid(
  handlers: FakeApidHandlers,
  options: { pki: ClientTestPki; credentials?: ServerCredentials },
): Promise<FakeApid> {
  const server = new Server();
  const add = (definition: object, implementation: object | undefined) =>
    server.addService(
      definition as Parameters<Server["addService"]>[0],
      (implementation ?? {}) as UntypedServiceImplementation,
    );
  add(MachineServiceService, handlers.machine);
  add(ResourceServiceService, handlers.resource);
  add(VersionServiceService, handlers.version);
  const credentials =
    options.credentials ??
    serverCredentials({
      ca: options.pki.ca.crt,
      crt: options.pki.server.crt,
      key: options.pki.server.key,
      requireClientCert: true,
    });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return {
    port,
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => server.tryShutdown(() => resolve())).then(() => server.forceShutdown()),
  };
}

/** A temporary directory holding client configs; `remove()` deletes it. */
export interface ConfigDir {
  /** Writes a stelectlconfig with one context `test` and returns its path. */
  write(
    name: string,
    context: { endpoints: string[]; nodes?: string[]; ca: string; crt: string; key: string },
  ): string;
  /** Writes any file (a machine config to apply) and returns its path. */
  writeText(name: string, text: string): string;
  remove(): void;
}

/** Makes a temporary directory for client configs. */
export function makeConfigDir(): ConfigDir {
  const dir = mkdtempSync(join(tmpdir(), "stelectl-client-"));
  return {
    write(name, context) {
      const path = join(dir, name);
      writeFileSync(
        path,
        serializeClientConfig({ context: "test", contexts: { test: { nodes: [], ...context } } }),
        { mode: 0o600 },
      );
      return path;
    },
    writeText(name, text) {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** What a run of stelectl printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));

/**
 * Runs stelectl (`src/cli/main.ts` under this Node.js) with `args` in a child process, as a user
 * would, and returns what it printed and its exit code. A child rather than in-process, because
 * the commands write to the process's standard output, which the test runner uses too; and
 * asynchronously, because the fake apid answering it runs in this process.
 */
export function runStelectl(args: readonly string[], options: { stdin?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_NO_WARNINGS: "1" };
    delete env.STELECONFIG;
    const child = execFile(
      process.execPath,
      [MAIN, ...args],
      { env, encoding: "utf8", timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : undefined;
        if (code === undefined) reject(error);
        else resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(options.stdin ?? "");
  });
}
