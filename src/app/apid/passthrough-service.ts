import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";

/** A method whose messages stay the bytes they arrived as. */
export type PassthroughMethod = MethodDefinition<Buffer, Buffer>;

const identity = (bytes: Buffer): Buffer => bytes;

/**
 * The same service with identity (de)serializers on every method: requests and replies stay the
 * protobuf bytes they arrived as. A gateway that re-encoded them would drop fields it does not know
 * (a newer machined's additions) and pay a decode and an encode per message for nothing.
 */
export function passthroughService(
  definition: Readonly<
    Record<string, Pick<MethodDefinition<unknown, unknown>, "path" | "requestStream" | "responseStream">>
  >,
): ServiceDefinition<Record<string, PassthroughMethod>> {
  const service: Record<string, PassthroughMethod> = {};
  for (const [name, method] of Object.entries(definition)) {
    service[name] = {
      path: method.path,
      requestStream: method.requestStream,
      responseStream: method.responseStream,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    };
  }
  return service;
}
