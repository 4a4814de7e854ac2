import { type ServerErrorResponse, status } from "@grpc/grpc-js";
import { toGrpcStatus as sharedToGrpcStatus } from "../../machinery/grpc/to-grpc-status.ts";

export { HINT_METADATA_KEY } from "../../machinery/grpc/metadata-keys.ts";

/**
 * trustd's errors as gRPC statuses. The shared mapping except `busy`: trustd raises it only when a
 * peer made too many failed attempts, which is what RESOURCE_EXHAUSTED means to gRPC clients.
 */
export function toGrpcStatus(error: unknown): ServerErrorResponse {
  return sharedToGrpcStatus(error, {
    component: "trustd",
    logsHint: "Read trustd's logs on the control-plane node (stelectl logs trustd)",
    overrides: { busy: status.RESOURCE_EXHAUSTED },
  });
}
