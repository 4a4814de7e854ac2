import type {
  MethodDefinition,
  ServerDuplexStream,
  ServerReadableStream,
  ServerUnaryCall,
  ServerWritableStream,
  ServiceDefinition,
  sendUnaryData,
  UntypedHandleCall,
  UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { SteleError } from "../../machinery/errors.ts";
import type { Role } from "../../machinery/role/roles.ts";
import { type EdgeLogger, effectiveRoles } from "./forwarded-roles.ts";
import { type PeerIdentity, peerIdentity } from "./peer-identity.ts";
import { toGrpcStatus } from "./to-grpc-status.ts";

/**
 * Decides whether roles may call a method (its full gRPC path): the shape of `authorize` in
 * `src/machinery/role/rbac.ts`, injected so the edge does not fix which table it enforces.
 */
export type Authorizer = (
  method: string,
  roles: readonly Role[],
) => { allowed: boolean; required: readonly Role[] };

/** Options of `authorizeCall` and `admitCall`. */
export interface AuthorizeCallOptions {
  authorize: Authorizer;
  /**
   * Set for maintenance mode: there is no client certificate, so only these methods (full paths)
   * are served, to anyone who can reach the port; every other one is refused.
   */
  maintenance?: { allowedMethods: ReadonlySet<string> };
  /** The config feature `apidCheckExtKeyUsage`; see `PeerIdentityOptions`. */
  checkExtKeyUsage?: boolean;
  /** Where refusals and ignored forwarded roles are logged; nothing is logged without one. */
  logger?: EdgeLogger;
}

/** Who a call was admitted for: the certificate's identity and the roles it was authorized with. */
export interface Admission {
  /** Undefined in maintenance mode, where callers are anonymous. */
  identity: PeerIdentity | undefined;
  roles: Role[];
  /** Whether `roles` came from a forwarding `os:impersonator` peer rather than the certificate. */
  forwarded: boolean;
}

/** The parts of a server call admission reads. */
type AdmittedCall = Pick<ServerUnaryCall<unknown, unknown>, "getAuthContext" | "metadata">;

/**
 * Decides whether a call to `method` (its full path) goes ahead: identifies the caller (or checks
 * the maintenance allow-list), resolves forwarded roles, and asks the authorizer. Throws
 * SteleError "unauthenticated" or "permission-denied"; the permission message names the method,
 * the roles that would do, and the roles the caller has, so the user sees what to ask for.
 */
export function admitCall(method: string, call: AdmittedCall, options: AuthorizeCallOptions): Admission {
  if (options.maintenance !== undefined) {
    if (options.maintenance.allowedMethods.has(method))
      return { identity: undefined, roles: [], forwarded: false };
    throw new SteleError(
      "permission-denied",
      `Permission denied: ${method} is not served in maintenance mode`,
      "Apply a machine config to the node first; until then only the methods that install one are served",
    );
  }
  const identity = peerIdentity(call, { checkExtKeyUsage: options.checkExtKeyUsage ?? true });
  const { roles, forwarded } = effectiveRoles(identity, call.metadata, { logger: options.logger });
  const decision = options.authorize(method, roles);
  if (decision.allowed) return { identity, roles, forwarded };
  const has = roles.length === 0 ? "no role" : roles.join(", ");
  const holder = forwarded ? "the forwarded client has" : "the client certificate has";
  const needs =
    decision.required.length === 0 ? "is allowed to no role" : `needs ${orList(decision.required)}`;
  options.logger?.warn(
    { method, peer: identity.commonName, fingerprint: identity.certificateFingerprint, roles, forwarded },
    "Permission denied",
  );
  throw new SteleError(
    "permission-denied",
    `Permission denied: ${method} ${needs}, ${holder} ${has}`,
    "Use a client configuration with one of the needed roles (an admin mints one with stelectl config new --roles)",
  );
}

/**
 * Wraps a grpc-js service implementation so that every handler (unary, server-, client- and
 * bidi-streaming alike: a method left unwrapped would be a hole) first admits the call, and so
 * that every error a handler reports (callback, stream error, throw, rejected promise) reaches the
 * client through `toGrpcStatus`. A refused call never runs its handler. Methods the implementation
 * lacks stay absent, so grpc-js answers them UNIMPLEMENTED.
 */
export function authorizeCall(
  definition: ServiceDefinition,
  implementation: UntypedServiceImplementation,
  options: AuthorizeCallOptions,
): UntypedServiceImplementation {
  const wrapped: UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(definition)) {
    const handler = implementation[name];
    if (handler !== undefined) wrapped[name] = wrapHandler(method, handler, options);
  }
  return wrapped;
}

function wrapHandler(
  method: MethodDefinition<unknown, unknown>,
  handler: UntypedHandleCall,
  options: AuthorizeCallOptions,
): UntypedHandleCall {
  const path = method.path;
  if (!method.responseStream) {
    // Unary and client-streaming: the outcome goes through the callback.
    const run = handler as (call: unknown, callback: sendUnaryData<unknown>) => unknown;
    return (
      call: ServerUnaryCall<unknown, unknown> | ServerReadableStream<unknown, unknown>,
      callback: sendUnaryData<unknown>,
    ) => {
      try {
        admitCall(path, call, options);
      } catch (error) {
        callback(toGrpcStatus(error));
        return;
      }
      const reply: sendUnaryData<unknown> = (error, ...rest) =>
        callback(error instanceof Error ? toGrpcStatus(error) : error, ...rest);
      settle(
        () => run(call, reply),
        (error) => callback(toGrpcStatus(error)),
      );
    };
  }
  // Server- and bidi-streaming: grpc-js ends the stream with the status of an "error" event.
  const run = handler as (call: unknown) => unknown;
  return (call: ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>) => {
    const emit = call.emit.bind(call);
    call.emit = (event: string | symbol, ...args: unknown[]): boolean =>
      event === "error" ? emit("error", toGrpcStatus(args[0])) : emit(event, ...args);
    try {
      admitCall(path, call, options);
    } catch (error) {
      call.emit("error", error);
      return;
    }
    settle(
      () => run(call),
      (error) => call.emit("error", error),
    );
  };
}

/** Runs a handler and routes a synchronous throw or a rejected promise to `fail`. */
function settle(run: () => unknown, fail: (error: unknown) => void): void {
  let result: unknown;
  try {
    result = run();
  } catch (error) {
    fail(error);
    return;
  }
  if (result instanceof Promise) result.catch(fail);
}

/** "a", "a or b", "a, b or c": how the permission message lists the roles that would do. */
function orList(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`;
}
