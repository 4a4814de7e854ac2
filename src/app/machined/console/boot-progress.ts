import type { MachineEvents } from "../events/machine-events.ts";
import type { PlatformPaths } from "../platform/platform.ts";

/** What {@link reportBootProgress} reads of machined. */
export interface BootProgressSource {
  readonly events: MachineEvents;
  readonly platform: { readonly paths: Pick<PlatformPaths, "state" | "ephemeral"> };
  readonly supervisor: { list(): readonly { id: string; state: string }[] };
}

/**
 * Prints machined's boot phases on the console, one line each, as `boot: …`: storage (where STATE
 * and EPHEMERAL are) when the boot starts, the services once started, then the stage it reached,
 * maintenance or running, and `ready` once every condition is met (the line that tells someone at
 * the screen the node is done). The network prints its own line as it is configured. Only changes
 * are printed: a node that flaps between ready and not says so each time, nothing more. Returns the
 * function that stops it.
 */
export function reportBootProgress(machined: BootProgressSource, write: (line: string) => void): () => void {
  const controller = new AbortController();
  const say = (line: string) => write(`boot: ${line}\n`);
  let last = "";
  void (async () => {
    try {
      for await (const event of machined.events.subscribe({ signal: controller.signal })) {
        const payload = event.payload;
        if (payload.kind === "phase" && payload.phase === "loadConfig" && payload.action === "start") {
          const { state, ephemeral } = machined.platform.paths;
          say(`storage: STATE at ${state}, EPHEMERAL at ${ephemeral}`);
        } else if (
          payload.kind === "phase" &&
          payload.phase === "startServices" &&
          payload.action === "stop"
        ) {
          const services = machined.supervisor.list();
          say(`services started: ${services.map((s) => `${s.id} (${s.state})`).join(", ") || "none"}`);
        } else if (payload.kind === "machine-status" && payload.stage !== "booting") {
          const now =
            payload.stage === "maintenance"
              ? "maintenance mode: waiting for a machine configuration; apid prints the API certificate fingerprint, the console (Alt+F2) shows it with the command to apply one"
              : payload.stage === "running"
                ? payload.ready
                  ? "ready"
                  : `running, not ready yet: waiting for ${payload.unmetConditions.map((c) => c.name).join(", ")}`
                : `stage ${payload.stage}`;
          // The unmet list changes as services come up: one line per stage, and one when ready.
          const key = payload.stage === "running" && !payload.ready ? "running" : now;
          if (key !== last) say(now);
          last = key;
        }
      }
    } catch {
      // The events were closed or this subscriber fell behind: progress lines are a courtesy.
    }
  })();
  return () => controller.abort();
}
