import type { UntypedServiceImplementation } from "@grpc/grpc-js";
import { stringify } from "yaml";
import {
  EventType,
  Phase,
  type Resource as ResourceMessage,
  type ResourceServiceServer,
} from "../../../machinery/api/resource/v1alpha1/resource.ts";
import { isSteleError, SteleError } from "../../../machinery/errors.ts";
import type { Resource } from "../../../runtime/index.ts";
import type { Machined } from "../machined.ts";
import { serverStream, unary } from "./call-handlers.ts";
import { errorCodeMessage } from "./event-message.ts";

/** A resource as the API sends it: metadata, and the spec as one YAML document. */
export function resourceMessage(resource: Resource<unknown>): ResourceMessage {
  const { metadata: m } = resource;
  return {
    metadata: {
      namespace: m.namespace,
      type: m.type,
      id: m.id,
      version: BigInt(m.version),
      phase: m.phase === "running" ? Phase.PHASE_RUNNING : Phase.PHASE_TEARING_DOWN,
      owner: m.owner ?? "",
      labels: { ...m.labels },
      created: m.created,
      updated: m.updated,
      finalizers: [...m.finalizers],
    },
    spec: { yaml: Buffer.from(stringify(resource.spec)) },
  };
}

/**
 * The ResourceService handlers: read-only Get, List, Watch and the type catalogue. Sensitive types
 * are served like the others and flagged in ResourceDefinitions: apid filters them by role.
 */
export function resourceServiceHandlers(
  machined: Machined,
): ResourceServiceServer & UntypedServiceImplementation {
  const { store, logger } = machined;
  const metadata = () => ({ hostname: machined.hostname() });
  const namespaceOf = (namespace: string) => (namespace ? { namespace } : {});
  return {
    get: unary(logger, "Get", (request) => {
      const type = store.resolveType(request.type);
      const resource = store.get(type, request.id, namespaceOf(request.namespace));
      if (!resource) {
        throw new SteleError(
          "not-found",
          `Resource not found: ${type.type} ${request.namespace || type.defaultNamespace}/${request.id}`,
          `List them: stelectl get ${type.aliases[0] ?? type.type}`,
        );
      }
      return { messages: [{ metadata: metadata(), resource: resourceMessage(resource) }] };
    }),
    list: serverStream(logger, "List", async (request, sink) => {
      const type = store.resolveType(request.type);
      for (const resource of store.list(type, namespaceOf(request.namespace))) {
        await sink.send({ metadata: metadata(), resource: resourceMessage(resource) });
      }
    }),
    watch: serverStream(logger, "Watch", async (request, sink) => {
      const type = store.resolveType(request.type);
      const watch = store.watch(type, {
        ...namespaceOf(request.namespace),
        ...(request.id ? { id: request.id } : {}),
        signal: sink.signal,
        tailEvents: "bootstrapped",
      });
      // The store's events carry the new state only; the last state sent per id is the `old` one.
      const last = new Map<string, ResourceMessage>();
      for await (const event of watch) {
        if (event.kind === "bootstrapped") {
          await sink.send({ metadata: metadata(), eventType: EventType.EVENT_TYPE_BOOTSTRAPPED });
          continue;
        }
        if (event.kind === "errored") {
          const error = event.error;
          await sink.send({
            metadata: metadata(),
            eventType: EventType.EVENT_TYPE_ERRORED,
            error: {
              code: errorCodeMessage(isSteleError(error) ? error.code : "internal"),
              message: error.message,
              hint: isSteleError(error) ? (error.hint ?? "") : "",
              details: [],
            },
          });
          return;
        }
        const resource = resourceMessage(event.resource);
        const id = event.resource.metadata.id;
        const old = last.get(id);
        if (event.kind === "destroyed") last.delete(id);
        else last.set(id, resource);
        const eventType = {
          created: EventType.EVENT_TYPE_CREATED,
          updated: EventType.EVENT_TYPE_UPDATED,
          destroyed: EventType.EVENT_TYPE_DESTROYED,
        }[event.kind];
        await sink.send({
          metadata: metadata(),
          eventType,
          resource,
          old: event.kind === "updated" ? old : undefined,
        });
      }
    }),
    resourceDefinitions: unary(logger, "ResourceDefinitions", () => ({
      messages: [
        {
          metadata: metadata(),
          definitions: store.types().map((type) => ({
            type: type.type,
            aliases: [...type.aliases],
            defaultNamespace: type.defaultNamespace,
            sensitive: type.sensitive,
            printColumns: type.printColumns.map((column) => ({
              name: column.name,
              jsonPath: `{.${column.path.replace(/^spec\./, "")}}`,
            })),
          })),
        },
      ],
    })),
  };
}
