import type { Command } from "commander";
import type { ServiceInfo } from "../../machinery/api/machine/v1alpha1/machine.ts";
import { SteleError } from "../../machinery/errors.ts";
import { callUnary, fanOut } from "../client/fan-out.ts";
import { formatTable } from "../client/format-table.ts";
import { type NodeTarget, openNodeSession } from "../client/node-session.ts";

const ACTIONS = ["start", "stop", "restart"] as const;

/** Registers `stelectl services` and `stelectl service <id> [start|stop|restart]`. */
export function registerServicesCommands(program: Command): void {
  program
    .command("services")
    .description("List the services of the nodes, with their state and health")
    .action(async (_options: unknown, command: Command) => {
      const session = await openNodeSession(command);
      try {
        const replies = await fanOut(session, (target) => listServices(target));
        const rows = replies.flatMap(({ node, value }) =>
          value.map((service) => [node, service.id, state(service), health(service), lastMessage(service)]),
        );
        process.stdout.write(formatTable([["NODE", "SERVICE", "STATE", "HEALTH", "LAST EVENT"], ...rows]));
      } finally {
        session.close();
      }
    });

  program
    .command("service")
    .description("Show one service, or start, stop or restart it")
    .argument("<id>", "service id, e.g. kubelet")
    .argument("[action]", `one of ${ACTIONS.join(", ")}; shows the service when absent`)
    .action(async (id: string, action: string | undefined, _options: unknown, command: Command) => {
      if (action !== undefined && !(ACTIONS as readonly string[]).includes(action)) {
        throw new SteleError(
          "invalid-argument",
          `Unknown service action: ${JSON.stringify(action)}`,
          `Use one of ${ACTIONS.join(", ")}`,
        );
      }
      const session = await openNodeSession(command);
      try {
        if (action === undefined) {
          const replies = await fanOut(session, async (target) => {
            const found = (await listServices(target)).find((service) => service.id === id);
            if (!found)
              throw new SteleError(
                "not-found",
                `No service ${JSON.stringify(id)}`,
                "List them with `stelectl services`",
              );
            return found;
          });
          for (const { node, value } of replies) process.stdout.write(describeService(node, value));
          return;
        }
        const replies = await fanOut(session, (target) => {
          const request = { id };
          if (action === "start")
            return callUnary(target.machine, "serviceStart", { request: request, metadata: target.metadata });
          if (action === "stop")
            return callUnary(target.machine, "serviceStop", { request: request, metadata: target.metadata });
          return callUnary(target.machine, "serviceRestart", { request: request, metadata: target.metadata });
        });
        for (const { node } of replies) process.stdout.write(`${node}: service ${id}: ${action} requested\n`);
      } finally {
        session.close();
      }
    });
}

async function listServices(target: NodeTarget): Promise<ServiceInfo[]> {
  const replies = await callUnary(target.machine, "serviceList", { request: {}, metadata: target.metadata });
  return replies.flatMap((reply) => reply.services);
}

function state(service: ServiceInfo): string {
  return service.state.replace(/^SERVICE_STATE_/, "").toLowerCase();
}

function health(service: ServiceInfo): string {
  if (!service.health || service.health.unknown) return "?";
  return service.health.healthy ? "ok" : "fail";
}

function lastMessage(service: ServiceInfo): string {
  return service.events.at(-1)?.message ?? "";
}

function describeService(node: string, service: ServiceInfo): string {
  const lines = [
    `NODE      ${node}`,
    `ID        ${service.id}`,
    `STATE     ${state(service)}`,
    `HEALTH    ${health(service)}${service.health?.lastMessage ? ` (${service.health.lastMessage})` : ""}`,
    "EVENTS",
    ...service.events.map(
      (event) =>
        `          [${event.timestamp?.toISOString() ?? ""}] ${event.state.replace(/^SERVICE_STATE_/, "").toLowerCase()}: ${event.message}`,
    ),
  ];
  return `${lines.join("\n")}\n`;
}
