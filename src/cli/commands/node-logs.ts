import type { Command } from "commander";
import type { EventsResponse } from "../../machinery/api/machine/v1alpha1/events.ts";
import type { DmesgResponse, LogsResponse } from "../../machinery/api/machine/v1alpha1/machine.ts";
import { parseDuration } from "../../machinery/duration.ts";
import { SteleError } from "../../machinery/errors.ts";
import { fanOut, readStream } from "../client/fan-out.ts";
import { interruptSignal } from "../client/interrupt-signal.ts";
import { linePrefixer } from "../client/line-prefixer.ts";
import { type NodeTarget, openNodeSession } from "../client/node-session.ts";

/** Registers `stelectl logs`, `dmesg` and `events`: the streams of nodes, every line tagged with its node. */
export function registerLogsCommands(program: Command): void {
  program
    .command("logs")
    .description("Print a service's log; -f follows it until interrupted")
    .argument("<id>", "service id, e.g. apid, etcd, kubelet")
    .option("-f, --follow", "keep printing new lines", false)
    .option("--tail <lines>", "print only the last N lines first (default: the whole log)", parseCount)
    .action(async (id: string, options: { follow: boolean; tail?: number }, command: Command) => {
      await streamBytes(command, (target) =>
        target.machine.logs(
          {
            namespace: "",
            id,
            driver: "LOG_DRIVER_SERVICE",
            follow: options.follow,
            ...(options.tail === undefined ? {} : { tailLines: options.tail }),
          },
          target.metadata,
        ),
      );
    });

  program
    .command("dmesg")
    .description("Print the kernel's messages; -f follows them until interrupted")
    .option("-f, --follow", "keep printing new messages", false)
    .option("--tail", "skip the messages already in the buffer", false)
    .action(async (options: { follow: boolean; tail: boolean }, command: Command) => {
      await streamBytes(command, (target) =>
        target.machine.dmesg({ follow: options.follow, tail: options.tail }, target.metadata),
      );
    });

  program
    .command("events")
    .description("Print the nodes' events as they happen, until interrupted")
    .option("--tail <count>", "print this many past events first (-1: all kept)", parseCount)
    .option("--since <duration>", "print the past events of this long first, e.g. 10m")
    .option("--actor-id <id>", "only events caused by this actor (as reboot/reset/upgrade print)")
    .action(async (options: { tail?: number; since?: string; actorId?: string }, command: Command) => {
      const seconds =
        options.since === undefined
          ? 0
          : Math.ceil(parseDuration(options.since, { label: "--since" }) / 1000);
      const session = await openNodeSession(command);
      const interrupt = interruptSignal();
      try {
        await fanOut(session, (target) =>
          readStream<EventsResponse>(
            target.machine.events(
              {
                tailEvents: options.tail ?? 0,
                tailId: "",
                tailSeconds: seconds,
                withActorId: options.actorId ?? "",
              },
              target.metadata,
            ),
            (event) => process.stdout.write(`${target.node}: ${formatEvent(event)}\n`),
            interrupt.signal,
          ),
        );
      } finally {
        interrupt.dispose();
        session.close();
      }
    });
}

async function streamBytes(
  command: Command,
  open: (target: NodeTarget) => AsyncIterable<unknown> & { cancel(): void },
): Promise<void> {
  const session = await openNodeSession(command);
  const interrupt = interruptSignal();
  try {
    await fanOut(session, async (target) => {
      const lines = linePrefixer(`${target.node}: `, (text) => process.stdout.write(text));
      try {
        await readStream<LogsResponse | DmesgResponse>(
          open(target),
          (chunk) => lines.push(chunk.bytes),
          interrupt.signal,
        );
      } finally {
        lines.flush();
      }
    });
  } finally {
    interrupt.dispose();
    session.close();
  }
}

/** One event as a line: time, id, and what happened in words. */
function formatEvent(event: EventsResponse): string {
  const when = event.timestamp?.toISOString() ?? "";
  const what = event.event;
  let text = "unknown event";
  switch (what?.$case) {
    case "sequence":
      text = `sequence ${what.value.sequence} ${action(what.value.action)}${what.value.error ? `: ${what.value.error.message}` : ""}`;
      break;
    case "phase":
      text = `phase ${what.value.phase} ${action(what.value.action)}`;
      break;
    case "task":
      text = `task ${what.value.task} ${action(what.value.action)}`;
      break;
    case "serviceState":
      text = `service ${what.value.service} ${lower(what.value.state, "SERVICE_STATE_")}${what.value.message ? `: ${what.value.message}` : ""}`;
      break;
    case "configLoadError":
      text = `config load error: ${what.value.error}`;
      break;
    case "configValidationError":
      text = `config validation error: ${what.value.error}`;
      break;
    case "machineStatus":
      text = `machine ${lower(what.value.stage, "MACHINE_STAGE_")}${what.value.ready ? " ready" : ""}${what.value.unmetConditions.map((c) => `, waiting for ${c.name}: ${c.reason}`).join("")}`;
      break;
  }
  return `${when} ${event.id} ${text}`;
}

function action(value: string): string {
  return lower(value, "EVENT_ACTION_") === "start" ? "started" : "stopped";
}

function lower(value: string, prefix: string): string {
  return value.replace(prefix, "").toLowerCase().replaceAll("_", "-");
}

function parseCount(value: string): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count < -1) {
    throw new SteleError(
      "invalid-argument",
      `Invalid --tail: expected a whole number, got ${JSON.stringify(value)}`,
      "Pass e.g. --tail 100",
    );
  }
  return count;
}
