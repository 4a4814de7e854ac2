import type {
  MethodDefinition,
  ServerUnaryCall,
  ServerWritableStream,
  ServiceDefinition,
  sendUnaryData,
  UntypedHandleCall,
  UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { ResourceServiceService } from "../../../machinery/api/resource/v1alpha1/resource.ts";
import { SteleError } from "../../../machinery/errors.ts";
import { CALLER_ROLES_METADATA_KEY } from "../../../machinery/grpc/metadata-keys.ts";
import { authorize } from "../../../machinery/role/rbac.ts";
import type { Role } from "../../../machinery/role/roles.ts";
import { toGrpcStatus } from "../api/to-grpc-status.ts";

/** The one role of a caller on the local read-only socket: never more, whatever it sends. */
export const LOCAL_READER_ROLE: Role = "os:reader";

/** Options of {@link readerOnly}. */
export interface ReaderOnlyOptions {
  /**
   * Whether a resource type (by name or alias) holds secrets; unknown names answer false and are
   * left to the handler, which answers NOT_FOUND. machined's store knows every type's flag.
   */
  isSensitive: (type: string) => boolean;
}

/** The reads that name a resource type in their request. */
const RESOURCE_READS: ReadonlySet<string> = new Set([
  ResourceServiceService.get.path,
  ResourceServiceService.list.path,
  ResourceServiceService.watch.path,
]);

/**
 * Wraps machined's handlers of one service so that every call is served as `os:reader` and as
 * nothing more: the same role table apid enforces (`authorize` of src/machinery/role/rbac.ts) refuses
 * a method a reader may not call (apply, reboot, file contents, client certificates…) before its
 * handler runs, and a Get, List or Watch naming a sensitive type is refused as apid refuses it to a
 * reader certificate. The caller's `x-stele-roles` is replaced by `os:reader`, so that no claim a
 * local process sends can widen it should a handler ever read the header. Every method of the
 * definition is wrapped (a method left out would answer UNIMPLEMENTED, not PERMISSION_DENIED).
 */
export function readerOnly(
  definition: ServiceDefinition,
  implementation: UntypedServiceImplementation,
  options: ReaderOnlyOptions,
): UntypedServiceImplementation {
  const wrapped: UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(definition)) {
    const handler = implementation[name];
    if (handler !== undefined) wrapped[name] = wrap(method, handler, options);
  }
  return wrapped;
}

/** The refusal of `path` with `request` to a local reader, or undefined when the call may go ahead. */
export function localReaderRefusal(
  path: string,
  request: unknown,
  options: ReaderOnlyOptions,
): SteleError | undefined {
  const decision = authorize(path, [LOCAL_READER_ROLE]);
  if (!decision.allowed) {
    return new SteleError(
      "permission-denied",
      `Permission denied: ${path} needs ${decision.required.join(" or ")}, the local console is ${LOCAL_READER_ROLE}`,
      "The console only reads; act on the node with stelectl and a client configuration that has the role",
    );
  }
  if (RESOURCE_READS.has(path)) {
    const type = (request as { type?: unknown } | undefined)?.type;
    if (typeof type === "string" && options.isSensitive(type)) {
      return new SteleError(
        "permission-denied",
        `Resource type ${type} holds secrets: readable by os:admin only`,
        "Read it with stelectl and an os:admin client configuration, not from the console",
      );
    }
  }
  return undefined;
}

function wrap(
  method: MethodDefinition<unknown, unknown>,
  handler: UntypedHandleCall,
  options: ReaderOnlyOptions,
): UntypedHandleCall {
  const path = method.path;
  const asReader = (call: Pick<ServerUnaryCall<unknown, unknown>, "metadata">) =>
    call.metadata.set(CALLER_ROLES_METADATA_KEY, LOCAL_READER_ROLE);
  if (!method.responseStream) {
    const run = handler as (call: unknown, callback: sendUnaryData<unknown>) => void;
    return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      // A client stream has no request yet: none of them is a read, so the role table refuses it.
      const refusal = localReaderRefusal(path, call.request, options);
      if (refusal) return callback(toGrpcStatus(refusal));
      asReader(call);
      run(call, callback);
    };
  }
  const run = handler as (call: unknown) => void;
  return (call: ServerWritableStream<unknown, unknown>) => {
    const refusal = localReaderRefusal(path, call.request, options);
    if (refusal) {
      call.emit("error", toGrpcStatus(refusal));
      return;
    }
    asReader(call);
    run(call);
  };
}
