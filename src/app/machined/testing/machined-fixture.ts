import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type CallOptions,
  type ClientReadableStream,
  credentials,
  Metadata,
  type ServiceError,
} from "@grpc/grpc-js";
import { MachineServiceClient } from "../../../machinery/api/machine/v1alpha1/machine.ts";
import { VersionServiceClient } from "../../../machinery/api/machine/v1alpha1/version.ts";
import { ResourceServiceClient } from "../../../machinery/api/resource/v1alpha1/resource.ts";
import { generateConfigs } from "../../../machinery/config/generate-config.ts";
import { type ConfigDocument, type MachineConfig, serializeConfig } from "../../../machinery/config/index.ts";
import { generateSecretsBundle } from "../../../machinery/pki/index.ts";
import type { LoadedConfig } from "../config/config-store.ts";
import { type RunningMachined, runMachined } from "../run-machined.ts";
import type { Service } from "../system/index.ts";

/** A generated worker config's documents, and a way to derive variants of its MachineConfig. */
export interface TestConfigs {
  readonly documents: readonly ConfigDocument[];
  /** The config serialized, with the MachineConfig document changed by `change`. */
  yaml(change?: (machine: MachineConfig) => MachineConfig): string;
}

/** Generates a cluster's secrets and a worker config once per test file (84 ms of key generation). */
export async function testConfigs(): Promise<TestConfigs> {
  const secrets = await generateSecretsBundle();
  const { worker } = generateConfigs({ clusterName: "demo", endpoint: "https://10.5.0.2:6443", secrets });
  return {
    documents: worker,
    yaml: (change = (m) => m) =>
      serializeConfig(worker.map((d) => (d.kind === "MachineConfig" ? change(structuredClone(d)) : d))),
  };
}

/** A machined running in-process on a temp state dir, with generated clients on its socket. */
export interface MachinedFixture {
  readonly dir: string;
  readonly running: RunningMachined;
  readonly version: VersionServiceClient;
  readonly machine: MachineServiceClient;
  readonly resources: ResourceServiceClient;
  close(): Promise<void>;
}

/** Starts machined (with `config` as its --config, if given) and connects the three clients. */
export async function startMachined(
  config: string | undefined,
  options: { services?: (config: LoadedConfig | undefined) => readonly Service[] } = {},
): Promise<MachinedFixture> {
  const dir = mkdtempSync(join(tmpdir(), "machined-test-"));
  let configFile: string | undefined;
  if (config !== undefined) {
    configFile = join(dir, "input.yaml");
    writeFileSync(configFile, config);
  }
  const running = await runMachined({ stateDir: dir, configFile, services: options.services });
  const address = `unix://${running.server.socketPath}`;
  const insecure = credentials.createInsecure();
  const version = new VersionServiceClient(address, insecure);
  const machine = new MachineServiceClient(address, insecure);
  const resources = new ResourceServiceClient(address, insecure);
  return {
    dir,
    running,
    version,
    machine,
    resources,
    async close() {
      for (const client of [version, machine, resources]) client.close();
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A generated unary method, by its last overload (request, metadata, options, callback): the one
 * TypeScript infers from, so that `call(client.version.bind(client), {})` is typed.
 */
type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => unknown;

/** Calls a generated unary method as a promise. */
export function call<Req, Res>(method: UnaryMethod<Req, Res>, request: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    method(request, new Metadata(), {}, (error, response) => (error ? reject(error) : resolve(response)));
  });
}

/** The status error a unary call failed with; fails the test when it succeeded. */
export async function callError<Req, Res>(
  method: UnaryMethod<Req, Res>,
  request: Req,
): Promise<ServiceError> {
  try {
    await call(method, request);
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error("Expected the call to fail, but it succeeded");
}

/** Reads messages of a server stream until `done` says enough (then cancels) or the stream ends. */
export function collect<Res>(
  stream: ClientReadableStream<Res>,
  done: (messages: Res[]) => boolean = () => false,
): Promise<Res[]> {
  const messages: Res[] = [];
  return new Promise((resolve, reject) => {
    stream.on("data", (message: Res) => {
      messages.push(message);
      if (done(messages)) {
        stream.cancel();
        resolve(messages);
      }
    });
    stream.on("end", () => resolve(messages));
    stream.on("error", (error: ServiceError) => {
      if (error.code === 1 /* CANCELLED */) resolve(messages);
      else reject(error);
    });
  });
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
