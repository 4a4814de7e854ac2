/**
 * What the VM tests need to call a node's API through QEMU's user networking: slirp accepts a
 * forwarded connection before the guest listens, so every call has a short deadline and callers
 * retry; and apid's certificate names the guest's own address, not the host's 127.0.0.1.
 */
import { Metadata, type ServiceError } from "@grpc/grpc-js";

/** Channel options for a guest at `address` reached through a forwarded port: TLS checks that name. */
export function guestChannelOptions(address: string): Record<string, string | number> {
  return {
    "grpc.ssl_target_name_override": address,
    "grpc.default_authority": address,
    "grpc.initial_reconnect_backoff_ms": 500,
    "grpc.max_reconnect_backoff_ms": 2_000,
  };
}

/** One unary call of `method` on a generated client, with a short deadline. */
export function unary<Res>(
  client: object,
  method: string,
  request: unknown,
  timeoutMs = 5_000,
): Promise<Res> {
  const fn = (client as Record<string, (...args: unknown[]) => unknown>)[method]!.bind(client);
  return new Promise((resolve, reject) =>
    fn(
      request,
      new Metadata(),
      { deadline: Date.now() + timeoutMs },
      (error: ServiceError | null, reply: Res) => (error ? reject(error) : resolve(reply)),
    ),
  );
}

/** Retries `fn` once a second until it resolves, for at most `timeoutMs`; then throws its last error. */
export async function retry<T>(fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}
