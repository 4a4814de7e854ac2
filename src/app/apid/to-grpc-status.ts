import type { ServerErrorResponse } from "@grpc/grpc-js";
import { toGrpcStatus as sharedToGrpcStatus } from "../../machinery/grpc/to-grpc-status.ts";

export { HINT_METADATA_KEY } from "../../machinery/grpc/metadata-keys.ts";

/** apid's errors as gRPC statuses (see the shared mapping); unexpected ones point at apid's logs. */
export function toGrpcStatus(error: unknown): ServerErrorResponse {
  return sharedToGrpcStatus(error, {
    component: "the node",
    logsHint: "Read apid's and machined's logs on the node (stelectl logs apid)",
  });
}
