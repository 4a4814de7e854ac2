import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseConfig } from "../../machinery/config/parse-config.ts";
import { SteleError } from "../../machinery/errors.ts";
import { ControllerRuntime } from "../../runtime/index.ts";
import { MACHINE_SOCKET_NAME, MachineServer } from "./api/machine-server.ts";
import type { LoadedConfig } from "./config/config-store.ts";
import {
  ConsoleStatus,
  consoleService,
  READER_SOCKET_NAME,
  ReaderServer,
  reportBootProgress,
  withConsoleService,
} from "./console/index.ts";
import { hardeningController } from "./hardening/hardening-controller.ts";
import { KernelCmdlineStatus } from "./hardening/kernel-cmdline-status.ts";
import { DEFAULT_RING_BYTES, LogManager } from "./logging/index.ts";
import type { LogShipping } from "./logging/shipping/index.ts";
import { Machined, type MachinedOptions } from "./machined.ts";
import { ioctlNetworkCalls } from "./network/apply-static-network.ts";
import { configureNetwork } from "./network/configure-network.ts";
import { watchDhcpNetwork } from "./network/dhcp-lease-status.ts";
import { DhcpNetwork } from "./network/dhcp-network.ts";
import { monotonicClock, systemDhcpOptions } from "./network/system-dhcp-options.ts";
import { ContainerPlatform } from "./platform/container-platform.ts";
import { MetalPlatform } from "./platform/metal-platform.ts";
import type { Platform } from "./platform/platform.ts";
import { MACHINE_CONFIG_ID, MachineConfigResource } from "./resources/machine-config-resource.ts";
import { NODE_ADDRESSES_ID, NodeAddresses, readNodeAddresses } from "./resources/node-addresses.ts";
import type { Service } from "./system/index.ts";

/** Options of {@link runMachined}: what `main.ts` reads from its command line, plus the services hook. */
export interface RunMachinedOptions {
  stateDir: string;
  /** EPHEMERAL (`--var-dir`); default `<stateDir>/var`. A sandboxed node's is `/var`. */
  varDir?: string;
  /** A config file to install into STATE before booting (`--config`). */
  configFile?: string;
  platform?: "container" | "metal";
  /** The supervised services for a config; see MachinedOptions.services. */
  services?: (config: LoadedConfig | undefined) => readonly Service[];
  /** The node's etcd (sandboxed and metal nodes); see MachinedOptions.etcd. */
  etcd?: MachinedOptions["etcd"];
  /**
   * Mirrors every log line of machined and its services to this stream as `service: line`: the
   * node's console. A node has no shell, so the console is where its address and, in maintenance
   * mode, the API certificate fingerprint are read.
   */
  console?: Pick<NodeJS.WritableStream, "write">;
}

/** A running machined: the daemon, its API server, and how to stop both. */
export interface RunningMachined {
  readonly machined: Machined;
  readonly server: MachineServer;
  /** Resolves once the node powered off through the API (Shutdown) and everything is closed. */
  readonly stopped: Promise<void>;
  /** Runs the shutdown sequence (if no other sequence holds the node), then closes everything. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts machined on a platform: serves the API on `<state-dir>/run/machine.sock`, then boots. What
 * `main.ts` runs, and what in-process tests run, so both exercise the same wiring.
 *
 * On `metal` (PID 1 of a machine) it first sets the static network (the config's, else the kernel
 * command line's `ip=`), and runs the hardening controller beside machined's: the KSPP sysctls at
 * every boot, the hardening boot parameters reported, module loading locked once boot finished.
 */
export async function runMachined(options: RunMachinedOptions): Promise<RunningMachined> {
  const initialConfig = options.configFile
    ? { text: readConfigFile(options.configFile), file: options.configFile }
    : undefined;
  const consoleStream = options.console;
  let poweroff!: () => void;
  const poweroffRequested = new Promise<void>((resolve) => {
    poweroff = resolve;
  });
  const platform: Platform =
    options.platform === "metal"
      ? new MetalPlatform({ log: (line) => consoleStream?.write(`machined: ${line}\n`) })
      : new ContainerPlatform(options.stateDir, {
          onPoweroff: () => poweroff(),
          ...(options.varDir === undefined ? {} : { varDir: options.varDir }),
        });
  const metal =
    platform.mode === "metal" ? startMetalNetwork(platform, initialConfig?.text, consoleStream) : undefined;
  // What machined's own screen on the console's terminal shows (metal only), fed by the logs too.
  const consoleStatus = metal ? new ConsoleStatus() : undefined;
  // Shipping belongs to machined (it writes status resources and logs its failures there), which
  // exists only after the log manager; machined logs nothing before its constructor returns.
  let shipping: LogShipping | undefined;
  // Every service's log lives in a ring (what `logs` reads) and in /var/log/<service>.log, rotated;
  // a reset that wipes EPHEMERAL removes the files, and the next rotation starts them again.
  const logs = new LogManager({
    dir: join(platform.paths.ephemeral, "log"),
    ring: { maxBytes: ringBytes(initialConfig?.text ?? storedConfigText(platform.paths.state)) },
    onEntry: (id, entry) => {
      consoleStream?.write(`${id}: ${entry.line}\n`);
      consoleStatus?.offerLog(id, entry.line);
      shipping?.offer(id, entry);
    },
  });
  const machined = new Machined({
    platform,
    logs,
    initialConfig,
    // On metal the console's virtual terminal shows machined's screen, and on a key the dashboard,
    // which reads through the reader socket.
    services:
      metal && consoleStatus
        ? withConsoleService(
            options.services,
            consoleService({
              status: consoleStatus,
              readerSocket: join(platform.paths.run, READER_SOCKET_NAME),
              cmdline: metal.cmdline,
            }),
          )
        : options.services,
    ...(options.etcd ? { etcd: options.etcd } : {}),
  });
  shipping = machined.shipping;
  // Beside machined's runtime, on the same store: see hardeningController on how the two share
  // KernelParamStatus.
  let hardening: ControllerRuntime | undefined;
  let stopNetworkWatch: (() => void) | undefined;
  if (metal) {
    machined.store.registerType(KernelCmdlineStatus);
    hardening = new ControllerRuntime(machined.store, { logger: machined.logger });
    hardening.register(hardeningController({ cmdline: metal.cmdline, lockModules: true }));
    hardening.start();
    stopNetworkWatch = watchConfigNetwork(machined, metal, consoleStream);
    const stopConsoleStatus = consoleStatus?.watch(machined);
    const stopDhcpWatch = watchDhcpNetwork(metal.dhcp, machined.store, {
      clock: monotonicClock,
      owner: "machined",
      onError: (error) => machined.logger.warn({ error: String(error) }, "DHCP status not published"),
    });
    const stopConfigWatch = stopNetworkWatch;
    stopNetworkWatch = () => {
      stopConsoleStatus?.();
      stopConfigWatch();
      stopDhcpWatch();
      metal.dhcp.close();
    };
  }
  const server = new MachineServer(machined, join(platform.paths.run, MACHINE_SOCKET_NAME));
  // The local read-only identity (os:reader, inside the node only): what the console dashboard uses.
  const reader = new ReaderServer(machined, join(platform.paths.run, READER_SOCKET_NAME));
  const stopBootProgress = consoleStream
    ? reportBootProgress(machined, (line) => consoleStream.write(line))
    : undefined;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await server.close();
      await reader.close();
      stopBootProgress?.();
      stopNetworkWatch?.();
      await hardening?.close();
      await machined.close();
      await logs.close();
    })();
    return closing;
  };
  await server.listen();
  await reader.listen();
  try {
    await machined.start();
  } catch (error) {
    await close();
    throw error;
  }
  const stopped = poweroffRequested.then(close);
  return {
    machined,
    server,
    stopped,
    async stop() {
      try {
        await machined.shutdown().done;
      } catch (error) {
        // Another sequence holds the node (a reboot, a reset): closing stops its services anyway.
        machined.logger.warn({ error: String(error) }, "Shutdown sequence not run: closing directly");
      }
      await close();
    },
  };
}

/** The kernel command line, read once: the network and the hardening report both use it. */
function startMetalNetwork(
  platform: Platform,
  configText: string | undefined,
  consoleStream: RunMachinedOptions["console"],
): { cmdline: string; dhcp: DhcpNetwork } {
  const cmdline = readFileSync("/proc/cmdline", "utf8");
  const resolvConf = join(platform.paths.run, "resolv.conf");
  const dhcp = new DhcpNetwork(
    systemDhcpOptions(resolvConf, (line) => consoleStream?.write(`network: ${line}\n`)),
  );
  applyNetwork(configText ?? storedConfigText(platform.paths.state), {
    cmdline,
    resolvConf,
    consoleStream,
    dhcp,
  });
  return { cmdline, dhcp };
}

function applyNetwork(
  configText: string | undefined,
  options: {
    cmdline: string;
    resolvConf: string;
    consoleStream: RunMachinedOptions["console"];
    dhcp: DhcpNetwork;
  },
): void {
  const { network, result, dhcp } = configureNetwork(configText, {
    cmdline: options.cmdline,
    calls: ioctlNetworkCalls(options.resolvConf),
    dhcp: options.dhcp,
  });
  const say = (line: string) => options.consoleStream?.write(`network: ${line}\n`);
  say(`static network from ${network?.source ?? "nothing (lo only)"}: ${result.applied.join(", ")}`);
  for (const failure of result.failed) say(`error: ${failure}`);
  for (const skipped of network?.skipped ?? []) say(`skipped: ${skipped}`);
  if (dhcp.source !== "none") say(`DHCP (${dhcp.source}) on ${dhcp.interfaces.join(", ")}`);
}

/**
 * Re-applies the network when a config arrives or changes (maintenance-mode apply boots on without
 * a reboot), and refreshes NodeAddresses, which machined publishes once at start.
 */
function watchConfigNetwork(
  machined: Machined,
  metal: { cmdline: string; dhcp: DhcpNetwork },
  consoleStream: RunMachinedOptions["console"],
): () => void {
  let last: string | undefined;
  return machined.store.subscribe(MachineConfigResource, {
    id: MACHINE_CONFIG_ID,
    onEvent: (event) => {
      if (event.kind !== "created" && event.kind !== "updated") return;
      const yaml = event.resource.spec.yaml;
      if (yaml === last) return;
      last = yaml;
      applyNetwork(yaml, {
        cmdline: metal.cmdline,
        resolvConf: join(machined.platform.paths.run, "resolv.conf"),
        consoleStream,
        dhcp: metal.dhcp,
      });
      void machined.store
        .modify(NodeAddresses, NODE_ADDRESSES_ID, { owner: "machined", transform: readNodeAddresses })
        .catch((error: unknown) =>
          machined.logger.warn({ error: String(error) }, "NodeAddresses not refreshed"),
        );
    },
  });
}

function readConfigFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new SteleError(
      "io",
      `Cannot read the config file: ${(error as Error).message}`,
      "Check the --config path",
      {
        cause: error,
      },
    );
  }
}

/** The stored config's text, if there is one: read before boot only for settings machined needs first. */
function storedConfigText(stateDir: string): string | undefined {
  try {
    return readFileSync(join(stateDir, "config.yaml"), "utf8");
  } catch {
    return undefined;
  }
}

/**
 * The size of each service's log ring: MachineConfig `logs.bufferBytes`, read before boot because
 * the rings exist before the config is loaded (machined logs its own boot). A config that does not
 * parse leaves the default; boot reports the config's errors itself. A change takes effect at the
 * next start of machined.
 */
function ringBytes(text: string | undefined): number {
  if (text === undefined) return DEFAULT_RING_BYTES;
  try {
    return parseConfig(text, { file: "config.yaml" }).machineConfig.logs.bufferBytes ?? DEFAULT_RING_BYTES;
  } catch {
    return DEFAULT_RING_BYTES;
  }
}
