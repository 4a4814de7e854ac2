import { once } from "node:events";
import type {
  ServerReadableStream,
  ServerUnaryCall,
  ServerWritableStream,
  sendUnaryData,
} from "@grpc/grpc-js";
import type { Logger } from "../../../runtime/index.ts";
import { toGrpcStatus } from "./to-grpc-status.ts";

/**
 * A grpc-js unary handler from an async function: the reply or the mapped status, never an
 * unhandled rejection. Unexpected errors are logged (the client sees only "Internal error").
 */
export function unary<Req, Res>(
  logger: Logger,
  method: string,
  handler: (request: Req) => Promise<Res> | Res,
): (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void {
  return (call, callback) => {
    (async () => handler(call.request))().then(
      (reply) => callback(null, reply),
      (error: unknown) => {
        logFailure(logger, method, error);
        callback(toGrpcStatus(error));
      },
    );
  };
}

/** What a streaming handler writes with: `send` waits while the client's window is full. */
export interface StreamSink<Res> {
  send(message: Res): Promise<void>;
  /** Aborted when the client cancels or goes away. */
  readonly signal: AbortSignal;
}

/**
 * A grpc-js server-streaming handler from an async function: the stream ends when it returns, with
 * the mapped status when it throws, and its signal aborts when the client cancels.
 */
export function serverStream<Req, Res>(
  logger: Logger,
  method: string,
  handler: (request: Req, sink: StreamSink<Res>) => Promise<void>,
): (call: ServerWritableStream<Req, Res>) => void {
  return (call) => {
    const abort = new AbortController();
    const cancel = () => abort.abort();
    call.on("cancelled", cancel);
    call.on("close", cancel);
    const sink: StreamSink<Res> = {
      signal: abort.signal,
      async send(message) {
        if (abort.signal.aborted) return;
        if (!call.write(message)) {
          await Promise.race([once(call, "drain"), once(abort.signal, "abort")]);
        }
      },
    };
    handler(call.request, sink).then(
      () => {
        if (!abort.signal.aborted) call.end();
      },
      (error: unknown) => {
        if (abort.signal.aborted) return;
        logFailure(logger, method, error);
        call.emit("error", toGrpcStatus(error));
      },
    );
  };
}

/**
 * A grpc-js client-streaming handler from an async function that reads the requests as an async
 * iterable and returns the one reply, or the mapped status when it throws. A client's cancel reaches
 * the server as the end of the requests, a moment before the cancel itself: a reader cannot tell a
 * cut-off upload from a whole one, so what it stored must be checked before use (etcd's snapshot
 * hash), and the client acts on it only once it has the reply.
 */
export function clientStream<Req, Res>(
  logger: Logger,
  method: string,
  handler: (requests: AsyncIterable<Req>) => Promise<Res>,
): (call: ServerReadableStream<Req, Res>, callback: sendUnaryData<Res>) => void {
  return (call, callback) => {
    handler(call as AsyncIterable<Req>).then(
      (reply) => callback(null, reply),
      (error: unknown) => {
        logFailure(logger, method, error);
        callback(toGrpcStatus(error));
      },
    );
  };
}

function logFailure(logger: Logger, method: string, error: unknown): void {
  const fields = { method, error: error instanceof Error ? error.message : String(error) };
  logger.debug(fields, "API call failed");
}
