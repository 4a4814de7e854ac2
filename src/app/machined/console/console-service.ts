import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import { BUNDLE_FILE } from "../../../pkg/process/program-command.ts";
import type { Service } from "../system/service.ts";
import { ConsoleRunner } from "./console-runner.ts";
import type { ConsoleViewSource } from "./console-status.ts";
import type { TtyCalls } from "./tty-calls.ts";

/** The console dashboard's service id (`stelectl logs dashboard` shows why it restarted). */
export const CONSOLE_SERVICE_ID = "dashboard";
/** The virtual terminal of the dashboard; tty1 keeps the kernel's messages, as in Talos. */
export const CONSOLE_VT = 2;
/** Where the kernel's console messages stay while the dashboard is on screen. */
export const KERNEL_VT = 1;
/** The kernel command-line parameter that turns the console dashboard off (`=1`), as Talos has. */
export const CONSOLE_DISABLE_PARAMETER = "stele.dashboard.disabled";

/** The sources' root (src/), to start stelectl from the sources when machined runs from them. */
const SOURCE_ROOT = join(import.meta.dirname, "..", "..", "..");

/** Options of {@link consoleService}. */
export interface ConsoleServiceOptions {
  /** machined's local read-only socket (ReaderServer), the dashboard's only way to the node. */
  readerSocket: string;
  /** What machined's own screen shows until a key starts the dashboard (a `ConsoleStatus`). */
  status: ConsoleViewSource;
  /** The kernel command line: `stele.dashboard.disabled=1` skips the service. */
  cmdline: string;
  /** Default {@link CONSOLE_VT}. */
  vt?: number;
  /** The stelectl command line (`[node, stele.mjs, stelectl]`); by default from this process's code. */
  stelectl?: readonly string[];
  /** Whether a path exists (tests); `fs.existsSync` by default. */
  exists?: (path: string) => boolean;
  calls?: TtyCalls;
}

/**
 * The console of a metal node as a supervised service, on /dev/tty2 (switched on screen; the
 * kernel's messages stay on tty1): machined's own plain-text screen (name, stage, addresses, and in
 * maintenance mode the fingerprint and the apply-config command), and on a key press the dashboard,
 * `stelectl dashboard --local-socket <reader.sock>`, the same program as on an operator's laptop,
 * with TERM=linux; quitting it brings the screen back. The dashboard (≈ 100 MB PSS, see
 * {@link CONSOLE_NODE_FLAGS}) runs only while someone uses it: a 512 MiB worker, or a VM nobody
 * looks at, pays nothing for it. Skipped on a machine without virtual terminals (serial console
 * only) and when the kernel command line disables it. The container platform never adds it: its
 * node has no console of its own.
 */
export function consoleService(options: ConsoleServiceOptions): Service {
  const vt = options.vt ?? CONSOLE_VT;
  const tty = `/dev/tty${vt}`;
  const exists = options.exists ?? existsSync;
  const [command = process.execPath, ...prefix] = options.stelectl ?? stelectlCommand();
  return {
    id: CONSOLE_SERVICE_ID,
    runner: new ConsoleRunner({
      tty,
      vt,
      kernelVt: KERNEL_VT,
      status: options.status,
      command,
      args: [...prefix, "dashboard", "--local-socket", options.readerSocket],
      // Nothing of machined's environment: the dashboard needs a terminal type and a clock zone only.
      env: { TERM: "linux", LANG: "C.UTF-8", TZ: "UTC", HOME: "/" },
      ...(options.calls ? { calls: options.calls } : {}),
    }),
    restart: "always",
    // The run ends only when the terminal fails (quitting the dashboard does not): retried slower.
    backoff: { initialMs: 250, maxMs: 5_000, resetAfterMs: 10_000 },
    stopTimeoutMs: 2_000,
    skip: () => {
      if (kernelParameter(options.cmdline, CONSOLE_DISABLE_PARAMETER) === "1") {
        return `disabled by ${CONSOLE_DISABLE_PARAMETER}=1 on the kernel command line`;
      }
      if (!exists(tty)) return `no virtual terminal ${tty}: the machine has no video console`;
      return undefined;
    },
  };
}

/**
 * V8 heap limits for the dashboard: a 1 MiB young generation (ink renders a frame a second and its
 * garbage is short-lived) and a capped old one. Measured on a node from the bundle, the Monitor
 * screen live: PSS ≈ 104 MB with Node's defaults, ≈ 73 MB with these; a leak then ends in a restart
 * instead of growing on a 512 MiB worker.
 */
export const CONSOLE_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=1", "--max-old-space-size=96"];

/** `stelectl` from the code this machined runs: the bundle's program, or the sources' entry point. */
function stelectlCommand(): string[] {
  const self = process.argv[1] ?? "";
  if (basename(self) === BUNDLE_FILE) return [process.execPath, ...CONSOLE_NODE_FLAGS, self, "stelectl"];
  return [process.execPath, ...CONSOLE_NODE_FLAGS, join(SOURCE_ROOT, "cli", "main.ts")];
}

/** The value of `name=value` on a kernel command line; the last one wins, as the kernel reads it. */
function kernelParameter(cmdline: string, name: string): string | undefined {
  let value: string | undefined;
  for (const word of cmdline.trim().split(/\s+/)) {
    if (word === name) value = "";
    else if (word.startsWith(`${name}=`)) value = word.slice(name.length + 1);
  }
  return value;
}
