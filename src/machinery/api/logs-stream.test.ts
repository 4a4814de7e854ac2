/**
 * A server-streaming RPC of the generated MachineService works end to end over a real grpc-js server
 * and the generated client: the chunks arrive in order, tagged with their node, and the request arrives
 * as sent.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { credentials, Server, ServerCredentials } from "@grpc/grpc-js";
import {
  LogDriver,
  type LogsRequest,
  type LogsResponse,
  MachineServiceClient,
  type MachineServiceServer,
  MachineServiceService,
} from "./machine/v1alpha1/machine.ts";

const LINES = ["apid: listening on :50000\n", "apid: client cp-1 connected\n", "apid: client cp-1 closed\n"];

const server = new Server();
let client: MachineServiceClient;
const requests: LogsRequest[] = [];

before(async () => {
  const implementation = {
    logs: (call) => {
      requests.push(call.request);
      for (const line of LINES) call.write({ metadata: { hostname: "cp-1" }, bytes: Buffer.from(line) });
      call.end();
    },
  } satisfies Partial<MachineServiceServer>;
  // The other RPCs answer UNIMPLEMENTED, which grpc-js does for handlers that are missing.
  server.addService(MachineServiceService, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, p) =>
      error ? reject(error) : resolve(p),
    ),
  );
  client = new MachineServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
});

after(async () => {
  client?.close();
  await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
});

test("Logs streams three chunks in order, each tagged with its node", async () => {
  const chunks: LogsResponse[] = [];
  const stream = client.logs({
    namespace: "",
    id: "apid",
    driver: LogDriver.LOG_DRIVER_SERVICE,
    follow: false,
    tailLines: 3,
  });
  for await (const chunk of stream) chunks.push(chunk as LogsResponse);

  assert.deepEqual(requests, [
    { namespace: "", id: "apid", driver: "LOG_DRIVER_SERVICE", follow: false, tailLines: 3 },
  ]);
  assert.deepEqual(
    chunks.map((c) => c.metadata?.hostname),
    ["cp-1", "cp-1", "cp-1"],
  );
  assert.equal(chunks.map((c) => c.bytes.toString("utf8")).join(""), LINES.join(""));
});

test("an RPC the server does not implement fails with UNIMPLEMENTED, not silently", async () => {
  const error = await new Promise<{ code?: number }>((resolve) => client.memory({}, (e) => resolve(e ?? {})));
  assert.equal(error.code, 12); // grpc.status.UNIMPLEMENTED
});
