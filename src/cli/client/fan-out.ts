import type { CallOptions, ClientUnaryCall, Metadata, ServiceError } from "@grpc/grpc-js";
import type { Metadata as ReplyMetadata } from "../../machinery/api/common/v1alpha1/common.ts";
import { formatError } from "../run-cli.ts";
import type { NodeSession, NodeTarget } from "./node-session.ts";
import { replyError } from "./reply-error.ts";

/** What one node answered. */
export interface NodeReply<T> {
  node: string;
  value: T;
}

/** Where fan-out writes the failures of single nodes; standard error by default. */
export interface FanOutOptions {
  stderr?: { write(text: string): unknown };
}

/**
 * Runs `run` for every node of the session at once and returns the answers of those that
 * succeeded, in the order the nodes were named. A node that fails does not stop the others: its
 * error is printed as `error: node X: …` (with the hint) and the exit code becomes 1. When no node
 * was named the one target is the endpoint itself, and its error is thrown as any other.
 */
export async function fanOut<T>(
  session: NodeSession,
  run: (target: NodeTarget) => Promise<T>,
  options: FanOutOptions = {},
): Promise<NodeReply<T>[]> {
  const settled = await Promise.allSettled(session.targets.map((target) => run(target)));
  const replies: NodeReply<T>[] = [];
  const stderr = options.stderr ?? process.stderr;
  for (const [index, outcome] of settled.entries()) {
    const target = session.targets[index] as NodeTarget;
    if (outcome.status === "fulfilled") {
      replies.push({ node: target.node, value: outcome.value });
      continue;
    }
    const error = target.describe(outcome.reason);
    if (!session.namedNodes) throw error;
    stderr.write(formatError(error).replace(/^error: /, `error: node ${target.node}: `));
    process.exitCode = 1;
  }
  return replies;
}

/** The reply type of a generated unary method `K` of client `C`, read from its last overload. */
type UnaryResponse<C, K extends keyof C> = C[K] extends (
  request: never,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: infer Response) => void,
) => ClientUnaryCall
  ? Response
  : never;

/** The request type of a generated unary method `K` of client `C`. */
type UnaryRequest<C, K extends keyof C> = C[K] extends (
  request: infer Request,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: infer _Response) => void,
) => ClientUnaryCall
  ? Request
  : never;

/**
 * Calls the unary RPC `method` of a generated client on one node and returns its replies, each
 * checked: apid reports a node it could not reach as a reply carrying an error, which becomes
 * this call's failure.
 */
export function callUnary<C extends object, K extends keyof C>(
  client: C,
  method: K,
  call: { request: UnaryRequest<C, K>; metadata: Metadata },
): Promise<UnaryResponse<C, K> extends { messages: (infer Reply)[] } ? Reply[] : never> {
  type Reply = { metadata?: ReplyMetadata | undefined };
  return new Promise((resolve, reject) => {
    const invoke = client[method] as unknown as (
      request: unknown,
      metadata: Metadata,
      options: Partial<CallOptions>,
      callback: (error: ServiceError | null, response: { messages: Reply[] }) => void,
    ) => unknown;
    invoke.call(client, call.request, call.metadata, {}, (error, response) => {
      if (error) return reject(error);
      const failed = response.messages
        .map((reply) => replyError(reply.metadata))
        .find((e) => e !== undefined);
      if (failed) return reject(failed);
      resolve(response.messages as never);
    });
  });
}

/**
 * Reads a server stream of one node to its end, handing each message to `onMessage` as it arrives;
 * a message carrying an error ends the read with that error. Stops quietly when `signal` aborts.
 */
export async function readStream<Message extends { metadata?: ReplyMetadata | undefined }>(
  stream: AsyncIterable<unknown> & { cancel(): void },
  onMessage: (message: Message) => void,
  signal?: AbortSignal,
): Promise<void> {
  const cancel = () => stream.cancel();
  signal?.addEventListener("abort", cancel, { once: true });
  try {
    for await (const message of stream) {
      const failed = replyError((message as Message).metadata);
      if (failed) throw failed;
      onMessage(message as Message);
    }
  } catch (error) {
    if (signal?.aborted) return; // we cancelled: CANCELLED is how the stream ends then
    stream.cancel();
    throw error;
  } finally {
    signal?.removeEventListener("abort", cancel);
  }
}
