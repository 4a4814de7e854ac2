import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { isConfigError } from "../../machinery/config/index.ts";
import { STELE_VERSION } from "../../machinery/constants.ts";
import { isSteleError, SteleError } from "../../machinery/errors.ts";
import { ControllerRuntime, type Logger, ResourceStore } from "../../runtime/index.ts";
import { type ApplyMode, ConfigStore, type LoadedConfig } from "./config/config-store.ts";
import { hostnameController } from "./controllers/hostname-controller.ts";
import { type KernelParamScope, kernelParamController } from "./controllers/kernel-param-controller.ts";
import { memberController } from "./controllers/member-controller.ts";
import type { EtcdControl } from "./etcd/etcd-control.ts";
import { MachineEvents } from "./events/machine-events.ts";
import { LogManager } from "./logging/index.ts";
import { LogShipping } from "./logging/shipping/index.ts";
import type { Platform } from "./platform/platform.ts";
import { HOSTNAME_ID, Hostname } from "./resources/hostname.ts";
import { MACHINE_CONFIG_ID, MachineConfigResource } from "./resources/machine-config-resource.ts";
import { MACHINE_STATUS_ID, type MachineStage, MachineStatus } from "./resources/machine-status.ts";
import { NODE_ADDRESSES_ID, NodeAddresses, readNodeAddresses } from "./resources/node-addresses.ts";
import { MACHINED_RESOURCE_TYPES } from "./resources/resource-types.ts";
import { ServiceResource } from "./resources/service-resource.ts";
import { TIME_STATUS_ID, TimeStatus } from "./resources/time-status.ts";
import { VERSION_ID, VersionResource } from "./resources/version-resource.ts";
import { type SequenceContext, Sequencer, type StartedSequence } from "./sequencer/sequencer.ts";
import { type Service, Supervisor, type SupervisorOptions } from "./system/index.ts";

/** How often MachineStatus is recomputed besides on service events (reasons come from logs). */
const STATUS_REFRESH_MS = 2_000;

/** The log id of machined's own messages (`stelectl logs machined`). */
export const MACHINED_LOG_ID = "machined";

/** The owner of the resources machined writes itself rather than through a controller. */
const OWNER = "machined";

/** How long after replying to an install's apply the node starts rebooting from its new disk. */
const INSTALL_REBOOT_DELAY_MS = 1_000;

/** Default time a `try` config stays before it is rolled back, as the API documents it. */
export const DEFAULT_TRY_TIMEOUT_MS = 60_000;

/** Options of {@link Machined}. */
export interface MachinedOptions {
  platform: Platform;
  /** Where service logs and machined's own go; a memory-only manager when left out. */
  logs?: LogManager;
  /** A config given on the command line (`--config`): validated and copied into STATE at the first boot. */
  initialConfig?: { text: string; file: string };
  /**
   * The supervised services for a config (undefined in maintenance mode), asked at every boot: the
   * hook through which apid, trustd and later etcd and kubelet join the same bundle.
   */
  services?: (config: LoadedConfig | undefined) => readonly Service[];
  /** Passed to the supervisor (tests pass a clock). */
  supervisor?: Omit<SupervisorOptions, "logs">;
  /**
   * The node's etcd, which Bootstrap and the Etcd* RPCs act on: absent where machined runs no etcd (a
   * plain process sharing a host). A function is called once the store and the supervisor exist, since
   * an etcd that joins a cluster reads the one and is run by the other.
   */
  etcd?: EtcdControl | ((machined: Machined) => EtcdControl | undefined);
}

/** Options of {@link Machined.apply}. */
export interface ApplyOptions {
  mode: ApplyMode;
  dryRun?: boolean;
  /** For `try`: how long before the rollback; default {@link DEFAULT_TRY_TIMEOUT_MS}. */
  tryTimeoutMs?: number;
}

/** What an apply did (or, for a dry run, would do). */
export interface ApplyResult {
  readonly mode: Exclude<ApplyMode, "auto">;
  readonly details: string;
  readonly diff: string;
  readonly warnings: readonly string[];
}

/** Options of {@link Machined.reset}. */
export interface ResetOptions {
  /** Wipe STATE (the config and node identity); default true. False keeps the config (Talos' `--system-labels-to-wipe EPHEMERAL`). */
  wipeState?: boolean;
  /** Wipe EPHEMERAL (`/var`) too; default true. */
  wipeEphemeral?: boolean;
  /** Boot into maintenance mode afterwards (true) or power off (false); default true. */
  reboot?: boolean;
}

/**
 * The machined daemon without its sockets: it owns the config, the resources and their controllers,
 * the services and the sequences. The API server and `main.ts` drive it; tests drive it directly.
 */
export class Machined {
  readonly platform: Platform;
  readonly store = new ResourceStore();
  readonly events = new MachineEvents();
  readonly sequencer: Sequencer;
  readonly config: ConfigStore;
  readonly logs: LogManager;
  readonly supervisor: Supervisor;
  /**
   * Ships every stored log line to the config's `logging.destinations`; a LogManager passed in
   * must hand its entries to `shipping.offer` itself (its `onEntry`).
   */
  readonly shipping: LogShipping;
  /** Resolves once a shutdown (or a reset without reboot) powered the node off. */
  readonly poweredOff: Promise<void>;
  readonly #ownsLogs: boolean;
  readonly #runtime: ControllerRuntime;
  readonly #services: (config: LoadedConfig | undefined) => readonly Service[];
  readonly #abort = new AbortController();
  readonly #logger: Logger;
  readonly #etcd: EtcdControl | undefined;
  #initialConfig: { text: string; file: string } | undefined;
  #stage: MachineStage = "booting";
  #resolvePoweredOff!: () => void;
  #bridge: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #installing = false;

  constructor(options: MachinedOptions) {
    this.platform = options.platform;
    this.#ownsLogs = options.logs === undefined;
    this.logs = options.logs ?? new LogManager({ onEntry: (id, entry) => this.shipping.offer(id, entry) });
    this.#logger = jsonLogger(this.logs);
    this.shipping = new LogShipping({
      store: this.store,
      logger: this.#logger,
      // Kernel messages are the node's own only on metal; see LogShippingOptions.kernel.
      kernel: { platform: this.platform.mode },
    });
    this.config = new ConfigStore(this.platform.paths.state, { validationMode: this.platform.mode });
    this.sequencer = new Sequencer(this.events);
    this.#services = options.services ?? (() => []);
    this.#initialConfig = options.initialConfig;
    this.supervisor = new Supervisor({
      ...options.supervisor,
      logs: (id) => {
        const sink = this.logs.sink(id);
        return { write: (line, stream) => sink.write(stream, `${line}\n`) };
      },
    });
    this.#runtime = new ControllerRuntime(this.store, { logger: this.#logger });
    // Registered now, so that the API resolves type names even while the node boots.
    for (const type of MACHINED_RESOURCE_TYPES) this.store.registerType(type);
    this.poweredOff = new Promise((resolve) => {
      this.#resolvePoweredOff = resolve;
    });
    this.#etcd = typeof options.etcd === "function" ? options.etcd(this) : options.etcd;
  }

  /** The node's etcd, or undefined where machined runs none (the etcd RPCs then refuse). */
  get etcd(): EtcdControl | undefined {
    return this.#etcd;
  }

  /** The node's stage now. */
  get stage(): MachineStage {
    return this.#stage;
  }

  /** machined's structured logger: JSON lines into the `machined` log. */
  get logger(): Logger {
    return this.#logger;
  }

  /** The hostname replies are tagged with: the Hostname resource's, else the platform's. */
  hostname(): string {
    const spec = this.store.get(Hostname, HOSTNAME_ID)?.spec;
    return spec ? [spec.hostname, spec.domainname].filter(Boolean).join(".") : this.platform.hostname();
  }

  /**
   * Registers the resource types and controllers, publishes the static resources, starts bridging
   * the supervisor's events, and runs the boot sequence; resolves when the node is booted (running,
   * or in maintenance mode without a config).
   */
  async start(): Promise<void> {
    this.#runtime.register(hostnameController(this.platform));
    this.#runtime.register(memberController);
    this.#runtime.register(
      kernelParamController({
        scope: kernelParamScope(this.platform),
        // A sandbox's network namespace outlives a reboot with the values written into it; metal's
        // kernel starts from its own defaults at every boot.
        ...(this.platform.mode === "container"
          ? { defaultsFile: join(this.platform.paths.state, "kernel-param-defaults.json") }
          : {}),
      }),
    );
    this.#runtime.start();
    await this.store.modify(VersionResource, VERSION_ID, {
      owner: OWNER,
      transform: () => ({
        tag: `v${STELE_VERSION}`,
        nodeVersion: process.version,
        platform: this.platform.name,
        arch: process.arch,
      }),
    });
    await this.store.modify(NodeAddresses, NODE_ADDRESSES_ID, { owner: OWNER, transform: readNodeAddresses });
    await this.store.modify(TimeStatus, TIME_STATUS_ID, {
      owner: OWNER,
      transform: () => ({
        synced: true,
        managed: this.platform.mode === "metal",
        time: new Date().toISOString(),
        message:
          this.platform.mode === "container"
            ? "Time is not managed in container mode: the host keeps the clock"
            : "Time is not synchronised yet",
      }),
    });
    this.#bridge = this.#bridgeServices(this.#abort.signal);
    // A service that is not up says why in its own log (apid waiting for trustd: "Join token
    // refused…"), which changes no service state: refresh the status so the reason stays current.
    const refresh = setInterval(() => this.#publishStatus(), STATUS_REFRESH_MS);
    refresh.unref();
    this.#abort.signal.addEventListener("abort", () => clearInterval(refresh), { once: true });
    this.#logger.info(
      { platform: this.platform.name, state: this.platform.paths.state },
      "machined starting",
    );
    await this.sequencer.start("boot", (context) => this.#boot(context), "").done;
  }

  /**
   * Validates a config and applies it as `mode` says (see ConfigStore.plan); a dry run only reports.
   * Resolves once the config is in place: a reboot it causes continues in the background.
   */
  async apply(text: string, options: ApplyOptions): Promise<ApplyResult> {
    let plan: ReturnType<ConfigStore["plan"]>;
    try {
      plan = this.config.plan(text, options.mode);
    } catch (error) {
      if (isConfigError(error)) {
        this.events.publish({ kind: "config-validation-error", error: error.message });
      }
      throw error;
    }
    const result: ApplyResult = {
      mode: plan.mode,
      details: plan.details,
      diff: options.dryRun ? plan.diff : "",
      warnings: plan.config.warnings,
    };
    if (options.dryRun) return result;
    // On metal booted from a live medium the first config installs Stele to its disk, and the node
    // reboots from that disk: the live medium's STATE is tmpfs (see Platform.install).
    if (!this.config.current && this.platform.install) {
      const installed = await this.#install(this.platform.install, plan.config);
      if (installed) return { ...result, mode: "reboot", details: installed };
    }
    let committed!: () => void;
    const inPlace = new Promise<void>((resolve) => {
      committed = resolve;
    });
    const { done } = this.sequencer.start("apply", async (context) => {
      await context.phase("applyConfig", async () => {
        if (plan.mode === "staged") this.config.stage(plan.config);
        else if (plan.mode === "try") {
          this.config.tryApply(plan.config, options.tryTimeoutMs ?? DEFAULT_TRY_TIMEOUT_MS, (restored) => {
            this.#logger.warn({}, "Tried configuration was not confirmed: rolled back");
            void this.#publishConfig(restored);
          });
        } else this.config.commit(plan.config);
        if (plan.mode === "no-reboot" || plan.mode === "try") await this.#publishConfig(plan.config);
      });
      committed();
      if (plan.mode === "reboot") await context.sequence("reboot", (ctx) => this.#reboot(ctx));
    });
    await Promise.race([inPlace, done]);
    this.#logger.info({ mode: plan.mode }, "Configuration applied");
    return result;
  }

  /**
   * Runs a live medium's install; resolves to what to tell the caller when it installed (a reboot
   * follows the reply), undefined when the platform kept the config in memory instead. A second
   * apply while one installs, or after, is refused: the node is about to reboot.
   */
  async #install(
    install: NonNullable<Platform["install"]>,
    config: LoadedConfig,
  ): Promise<string | undefined> {
    if (this.#installing) {
      throw new SteleError(
        "busy",
        "An install is running or finished",
        "Wait for the node to reboot from its disk",
      );
    }
    this.#installing = true;
    let outcome: Awaited<ReturnType<typeof install>>;
    try {
      outcome = await install(config);
    } catch (error) {
      this.#installing = false;
      this.#logger.error({ error: String(error) }, "Install failed: staying in maintenance mode");
      throw error;
    }
    if (!outcome.installed) {
      this.#installing = false;
      return undefined;
    }
    this.#logger.info({ disk: outcome.disk }, "Installed: rebooting from the disk");
    // A moment for the reply to reach the caller through apid before the reboot stops apid.
    setTimeout(() => {
      try {
        this.reboot();
      } catch (error) {
        this.#logger.error({ error: String(error) }, "Reboot after install not started");
      }
    }, INSTALL_REBOOT_DELAY_MS).unref();
    return outcome.details;
  }

  /** Starts the reboot sequence; throws `busy` at once when another sequence runs. */
  reboot(): StartedSequence {
    return this.sequencer.start("reboot", (context) => this.#reboot(context));
  }

  /** Starts the shutdown sequence: stop every service, then power off. */
  shutdown(): StartedSequence {
    return this.sequencer.start("shutdown", async (context) => {
      this.#setStage("shuttingdown");
      await context.phase("stopServices", () => this.supervisor.stopAll());
      await context.phase("poweroff", async () => {
        await this.platform.poweroff();
        this.#resolvePoweredOff();
      });
    });
  }

  /** Starts the reset sequence: stop services, wipe STATE (and EPHEMERAL), then maintenance or power off. */
  reset(options: ResetOptions = {}): StartedSequence {
    return this.sequencer.start("reset", async (context) => {
      this.#setStage("resetting");
      await context.phase("stopServices", () => this.supervisor.stopAll());
      await context.phase("wipe", async () => {
        if (options.wipeState ?? true) {
          await context.task("wipeState", () => {
            this.config.forget();
            emptyDirectory(this.platform.paths.state);
          });
        }
        if (options.wipeEphemeral ?? true) {
          await context.task("wipeEphemeral", () => emptyDirectory(this.platform.paths.ephemeral));
        }
      });
      if (options.reboot ?? true) {
        await context.phase("reboot", () => this.platform.reboot());
        await context.sequence("boot", (ctx) => this.#boot(ctx));
      } else {
        await context.phase("poweroff", async () => {
          await this.platform.poweroff();
          this.#resolvePoweredOff();
        });
      }
    });
  }

  /** Stops services, controllers and timers, and flushes the logs. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.config.close();
      await this.supervisor.close();
      this.#abort.abort();
      await this.#bridge;
      await this.#runtime.close();
      await this.shipping.close();
      this.store.close();
      if (this.#ownsLogs) await this.logs.close();
    })();
    return this.#closing;
  }

  async #boot(context: SequenceContext): Promise<void> {
    this.#setStage("booting");
    let config: LoadedConfig | undefined;
    await context.phase("loadConfig", async () => {
      const initial = this.#initialConfig;
      this.#initialConfig = undefined;
      try {
        if (initial) {
          await context.task("installConfig", () =>
            this.config.commit(this.config.validate(initial.text, initial.file)),
          );
        }
        config = this.config.loadAtBoot();
      } catch (error) {
        const message = isSteleError(error) ? error.message : String(error);
        const kind = isConfigError(error) ? "config-validation-error" : "config-load-error";
        this.events.publish({ kind, error: message }, context.actorId);
        this.#logger.error({ error: message }, "Machine configuration not loaded: entering maintenance mode");
        config = undefined;
      }
      if (config) await this.#publishConfig(config);
      else {
        await this.shipping.apply([], { hostname: this.hostname() });
        if (this.store.get(MachineConfigResource, MACHINE_CONFIG_ID)) {
          this.store.destroy(MachineConfigResource, MACHINE_CONFIG_ID, { owner: OWNER });
        }
      }
    });
    await context.phase("startServices", async () => {
      this.supervisor.load(this.#services(config));
      await this.supervisor.startAll();
    });
    this.#setStage(config ? "running" : "maintenance");
    this.#logger.info({ stage: this.#stage }, "Boot finished");
  }

  async #reboot(context: SequenceContext): Promise<void> {
    this.#setStage("rebooting");
    await context.phase("stopServices", () => this.supervisor.stopAll());
    await context.phase("reboot", () => this.platform.reboot());
    if (this.platform.mode === "container") await context.sequence("boot", (ctx) => this.#boot(ctx));
  }

  /** Makes a config current for its readers: the MachineConfig resource and the log destinations. */
  async #publishConfig(config: LoadedConfig): Promise<void> {
    await this.shipping.apply(config.parsed.machineConfig.logging.destinations, {
      hostname: this.hostname(),
    });
    await this.store.modify(MachineConfigResource, MACHINE_CONFIG_ID, {
      owner: OWNER,
      transform: () => ({ yaml: config.text }),
    });
  }

  #setStage(stage: MachineStage): void {
    this.#stage = stage;
    this.#publishStatus();
  }

  /** Recomputes MachineStatus from the stage and the services, and records a change as an event. */
  #publishStatus(): void {
    if (this.#closing) return;
    const unmetConditions: { name: string; reason: string }[] = [];
    if (this.#stage === "maintenance") {
      unmetConditions.push({ name: "config", reason: "Waiting for a machine configuration" });
    }
    if (this.#stage === "running") {
      for (const service of this.supervisor.list()) {
        const up = (service.state === "running" && service.healthy !== false) || service.state === "skipped";
        if (!up) {
          const said = this.#lastLogMessage(service.id);
          unmetConditions.push({
            name: service.id,
            reason: `${service.state}: ${service.message}${said ? `; it last logged: ${said}` : ""}`,
          });
        }
      }
    }
    const spec = {
      stage: this.#stage,
      ready: this.#stage === "running" && unmetConditions.length === 0,
      unmetConditions,
    };
    const current = this.store.get(MachineStatus, MACHINE_STATUS_ID);
    const next = current
      ? this.store.update(MachineStatus, MACHINE_STATUS_ID, {
          owner: OWNER,
          spec,
          expectedVersion: current.metadata.version,
        })
      : this.store.create(MachineStatus, MACHINE_STATUS_ID, { owner: OWNER, spec });
    if (next !== current) this.events.publish({ kind: "machine-status", ...spec });
  }

  /** The last line a service logged, its `msg` when it logs JSON, cut to a readable length. */
  #lastLogMessage(serviceId: string): string | undefined {
    let line: string | undefined;
    try {
      line = this.logs.ring(serviceId).tail(1)[0]?.line;
    } catch {
      return undefined; // nothing logged yet
    }
    if (line === undefined) return undefined;
    try {
      const parsed: unknown = JSON.parse(line);
      if (
        typeof parsed === "object" &&
        parsed !== null &&
        typeof (parsed as { msg?: unknown }).msg === "string"
      ) {
        line = (parsed as { msg: string }).msg;
      }
    } catch {
      // a plain text line
    }
    return line.length > 300 ? `${line.slice(0, 297)}...` : line;
  }

  async #bridgeServices(signal: AbortSignal): Promise<void> {
    try {
      for await (const event of this.supervisor.events(signal)) {
        await this.store.modify(ServiceResource, event.service, {
          owner: OWNER,
          transform: () => ({
            state: event.state,
            healthy: event.healthy ?? null,
            message: event.message,
            restartCount: event.restartCount,
            pid: event.pid ?? null,
          }),
        });
        this.events.publish({
          kind: "service",
          service: event.service,
          state: event.state,
          message: event.message,
          healthy: event.healthy,
        });
        this.#publishStatus();
      }
    } catch (error) {
      if (signal.aborted) return;
      // A bridge that fell behind resubscribes; the resources catch up with the next events.
      this.#logger.error({ error: String(error) }, "Service event bridge failed: restarting it");
      if (!this.#closing) this.#bridge = this.#bridgeServices(signal);
    }
  }
}

/**
 * Which sysctls this machined may write: all on metal; on container only the namespaced ones, and only
 * when it is the sandbox's PID 1 (its own namespaces); none when it is a plain process on a host.
 */
function kernelParamScope(platform: Platform): KernelParamScope {
  if (platform.mode === "metal") return "all";
  return process.pid === 1 ? "namespaced" : "none";
}

/** Removes everything inside a directory, keeping the directory (it may be a mount point). */
function emptyDirectory(dir: string): void {
  for (const entry of readdirSync(dir)) rmSync(join(dir, entry), { recursive: true, force: true });
}

/** A Logger writing one JSON object per line into machined's own log. */
function jsonLogger(logs: LogManager): Logger {
  const write = (level: string) => (fields: Record<string, unknown>, message: string) => {
    try {
      logs
        .sink(MACHINED_LOG_ID)
        .log(JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields }));
    } catch (error) {
      // The log manager is closed at shutdown: nothing left to write to.
      if (!(isSteleError(error) && error.code === "failed-precondition")) throw error;
    }
  };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}
