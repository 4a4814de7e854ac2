import { type Command, Option } from "commander";
import type {
  ListResponse,
  Resource,
  ResourceDefinition,
  WatchResponse,
} from "../../machinery/api/resource/v1alpha1/resource.ts";
import { SteleError } from "../../machinery/errors.ts";
import { callUnary, fanOut, readStream } from "../client/fan-out.ts";
import { formatTable } from "../client/format-table.ts";
import { interruptSignal } from "../client/interrupt-signal.ts";
import { type NodeSession, type NodeTarget, openNodeSession } from "../client/node-session.ts";
import {
  formatResourceDocument,
  RESOURCE_OUTPUT_FORMATS,
  type ResourceOutputFormat,
  resourceDocument,
  resourceTableHeader,
  resourceTableRow,
} from "../client/resource-output.ts";

interface GetOptions {
  output: ResourceOutputFormat;
  watch: boolean;
  namespace?: string;
}

/** Registers `stelectl get <type> [id]`: read and watch the resources of nodes. */
export function registerGetCommand(program: Command): void {
  program
    .command("get")
    .description("Get or watch resources of the nodes (types and aliases come from each node)")
    .argument("<type>", "resource type, full name or alias (e.g. addresses)")
    .argument("[id]", "resource id; all resources of the type when absent")
    .addOption(
      new Option("-o, --output <format>", "output format").choices(RESOURCE_OUTPUT_FORMATS).default("table"),
    )
    .option("-w, --watch", "print the resources, then every change, until interrupted", false)
    .option("--namespace <namespace>", "namespace (default: the type's default namespace)")
    .action(async (type: string, id: string | undefined, options: GetOptions, command: Command) => {
      const session = await openNodeSession(command);
      const interrupt = interruptSignal();
      try {
        if (options.watch) {
          await watch(session, { type, id, options, signal: interrupt.signal });
          return;
        }
        const replies = await fanOut(session, async (target) => {
          const definition = await resolveType(target, type);
          const namespace = options.namespace ?? definition.defaultNamespace;
          if (id !== undefined) {
            const got = await callUnary(target.resource, "get", {
              request: { namespace, type: definition.type, id },
              metadata: target.metadata,
            });
            return {
              definition,
              resources: got.flatMap((reply) => (reply.resource ? [reply.resource] : [])),
            };
          }
          const resources: Resource[] = [];
          await readStream<ListResponse>(
            target.resource.list({ namespace, type: definition.type }, target.metadata),
            (message) => {
              if (message.resource) resources.push(message.resource);
            },
          );
          return { definition, resources };
        });
        if (options.output === "table") {
          const header = resourceTableHeader(replies[0]?.value.definition);
          const rows = replies.flatMap(({ node, value }) =>
            value.resources.map((resource) => resourceTableRow(node, resource, value.definition)),
          );
          process.stdout.write(formatTable([header, ...rows]));
          return;
        }
        for (const { node, value } of replies)
          for (const resource of value.resources)
            process.stdout.write(formatResourceDocument(options.output, resourceDocument(node, resource)));
      } finally {
        interrupt.dispose();
        session.close();
      }
    });
}

/**
 * Resolves a type name or alias through the node's ResourceDefinitions, case-insensitively, as
 * kubectl does, so users type `addresses` and the node keeps the full names.
 */
async function resolveType(target: NodeTarget, name: string): Promise<ResourceDefinition> {
  const replies = await callUnary(target.resource, "resourceDefinitions", {
    request: {},
    metadata: target.metadata,
  });
  const definitions = replies.flatMap((reply) => reply.definitions);
  const wanted = name.toLowerCase();
  const found = definitions.find(
    (definition) =>
      definition.type.toLowerCase() === wanted ||
      definition.aliases.some((alias) => alias.toLowerCase() === wanted),
  );
  if (found) return found;
  throw new SteleError(
    "not-found",
    `Unknown resource type: ${JSON.stringify(name)}`,
    `Types and aliases this node knows: ${definitions.map((d) => [d.type, ...d.aliases].join("|")).join(", ") || "none"}`,
  );
}

const EVENT_MARKS: Readonly<Record<string, string>> = {
  EVENT_TYPE_CREATED: "+",
  EVENT_TYPE_UPDATED: "*",
  EVENT_TYPE_DESTROYED: "-",
};

async function watch(
  session: NodeSession,
  request: { type: string; id: string | undefined; options: GetOptions; signal: AbortSignal },
): Promise<void> {
  const { options } = request;
  let headerPrinted = false;
  await fanOut(session, async (target) => {
    const definition = await resolveType(target, request.type);
    if (options.output === "table" && !headerPrinted) {
      headerPrinted = true;
      process.stdout.write(`${["EVENT", ...resourceTableHeader(definition)].join("\t")}\n`);
    }
    await readStream<WatchResponse>(
      target.resource.watch(
        {
          namespace: options.namespace ?? definition.defaultNamespace,
          type: definition.type,
          id: request.id ?? "",
        },
        target.metadata,
      ),
      (event) => {
        if (event.eventType === "EVENT_TYPE_ERRORED") {
          throw new SteleError(
            "unavailable",
            `Watch failed: ${event.error?.message ?? "no reason given"}`,
            event.error?.hint || undefined,
          );
        }
        const mark = EVENT_MARKS[event.eventType];
        if (mark === undefined || event.resource === undefined) return;
        if (options.output === "table") {
          process.stdout.write(
            `${[mark, ...resourceTableRow(target.node, event.resource, definition)].join("\t")}\n`,
          );
        } else {
          const document = resourceDocument(target.node, event.resource);
          process.stdout.write(
            formatResourceDocument(options.output, {
              event: event.eventType.replace(/^EVENT_TYPE_/, "").toLowerCase(),
              ...document,
            }),
          );
        }
      },
      request.signal,
    );
  });
}
