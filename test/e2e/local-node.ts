/**
 * Real Stele nodes for end-to-end tests: machined started as a process on the `container`
 * platform, supervising the real apid and trustd, on loopback addresses of its own. Stopping a
 * node runs its shutdown sequence; whatever is still alive after that (a test that failed half-way)
 * is killed by scanning /proc for its state directory, so no test leaves processes behind.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const MACHINED = join(import.meta.dirname, "..", "..", "src", "app", "machined", "main.ts");

/** A running node: its address, its console output so far, and how to stop it. */
export interface LocalNode {
  readonly address: string;
  readonly stateDir: string;
  readonly process: ChildProcess;
  /** Everything the node printed on its console (machined and its services), so far. */
  console(): string;
  /** Waits until the console shows a line matching `pattern`, and returns the match. */
  waitForConsole(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(): Promise<void>;
}

/**
 * Starts a node; apid listens on `address`:50000 and, on a control plane, trustd on `address`:50001.
 * From the sources, or from the bundle (`dist/stele.mjs`, as the image ships) when `bundle` names it.
 */
export function startLocalNode(options: {
  address: string;
  stateDir: string;
  config?: string;
  bundle?: string;
}): LocalNode {
  const entry = options.bundle ? [options.bundle, "machined"] : [MACHINED];
  const args = [...entry, "--state-dir", options.stateDir, "--apid-listen", `${options.address}:50000`];
  if (options.config) args.push("--config", options.config);
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  return {
    address: options.address,
    stateDir: options.stateDir,
    process: child,
    console: () => output,
    waitForConsole(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = output.match(pattern);
          if (match) {
            done();
            resolve(match);
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(
              `Console never showed ${pattern} within ${timeoutMs} ms; it shows:\n${output.slice(-3000)}`,
            ),
          );
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, "exit");
        child.kill("SIGTERM");
        const timeout = new Promise((resolve) => setTimeout(resolve, 15_000).unref());
        await Promise.race([exited, timeout]);
      }
      killLeftovers(options.stateDir);
    },
  };
}

/** SIGKILLs every process whose command line names `stateDir` (machined, apid, trustd of one node). */
export function killLeftovers(stateDir: string): void {
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    let cmdline = "";
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      continue;
    }
    if (cmdline.includes(stateDir)) {
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch {
        // gone already
      }
    }
  }
}

/** Whether a process is alive. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds the pid of a node's daemon (`apid`, `trustd`) by its program, run from the sources
 * (`apid/main.ts`) or from the bundle (`stele.mjs apid`), and the node's state dir.
 */
export function servicePid(stateDir: string, program: string): number | undefined {
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      const runs = cmdline.includes(`${program}/main.ts\0`) || cmdline.includes(`stele.mjs\0${program}\0`);
      if (runs && cmdline.includes(stateDir)) return Number(pid);
    } catch {
      // raced with its exit
    }
  }
  return undefined;
}

/** Retries `fn` until it returns a value (not undefined) or the time is up. */
export async function eventually<T>(
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`Timed out after ${timeoutMs} ms${last ? `: last error ${String(last)}` : ""}`);
}
