/**
 * The floor of every API benchmark: a bare grpc-js unary call (the echo) over mutual TLS 1.3 on loopback,
 * with identity serializers, so no protobuf code runs at all. Its server answers an empty request with the
 * bytes of the VersionResponse the real service sends, encoded once at start. The value is the same call
 * through the generated VersionService, whose handler returns that VersionResponse as an object, over the
 * same TLS setup. Both move the same bytes, so the ratio is what the generated code (encode, decode,
 * object building) adds to a call.
 * Later benchmarks (apid forwarding to machined, fan-out) compare against this floor too.
 *
 * Floor and value alternate in rounds (ABBA), so that warm-up, CPU frequency and noisy neighbours drift
 * into both equally instead of into whichever runs second.
 */
import {
  type Client,
  makeGenericClientConstructor,
  Server,
  type ServiceDefinition,
  type ServiceError,
} from "@grpc/grpc-js";
import {
  PlatformMode,
  VersionResponse,
  type VersionServiceClient,
  VersionServiceClient as VersionServiceClientConstructor,
  type VersionServiceServer,
  VersionServiceService,
} from "../src/machinery/api/machine/v1alpha1/version.ts";
import { SteleError } from "../src/machinery/errors.ts";
import {
  alternateRounds,
  type BenchContext,
  type Benchmark,
  type BenchResult,
  measure,
  summarize,
  type Throughput,
  throughput,
} from "./harness.ts";
import { generateMtlsFixture, tls13ChannelCredentials, tls13ServerCredentials } from "./mtls-fixture.ts";

/** Rounds of floor and value, alternating which goes first. Even, so that each goes first as often. */
const ROUNDS = 4;
/** Calls per latency round; a unary call on loopback takes a fraction of a millisecond. */
const LATENCY_ITERATIONS = 750;
const LATENCY_WARMUP = 500;
/** Clients of the throughput figure, each on a connection of its own, as eight stelectl processes. */
const CONCURRENT_CLIENTS = 8;
const THROUGHPUT_MS = 600;
const THROUGHPUT_WARMUP_MS = 300;

/** What every VersionService call returns: one node, every field set, as a real reply. */
const FIXED_RESPONSE: VersionResponse = {
  messages: [
    {
      metadata: { hostname: "cp-1" },
      version: {
        tag: "v0.1.0",
        sha: "0123456789abcdef0123456789abcdef01234567",
        built: new Date("2025-01-01T00:00:00Z"),
        nodeVersion: process.version,
        os: "linux",
        arch: "x64",
      },
      platform: { name: "container", mode: PlatformMode.PLATFORM_MODE_CONTAINER },
    },
  ],
};

const identity = (bytes: Buffer): Buffer => bytes;

/** A unary service whose messages are the bytes themselves: grpc-js's cost and nothing else. */
const ECHO_SERVICE: ServiceDefinition = {
  echo: {
    path: "/stele.bench.v1alpha1.EchoService/Echo",
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

interface EchoClient extends Client {
  echo(request: Buffer, callback: (error: ServiceError | null, response: Buffer) => void): void;
}

const EchoClientConstructor = makeGenericClientConstructor(ECHO_SERVICE, "EchoService") as unknown as new (
  ...args: ConstructorParameters<typeof Client>
) => EchoClient;

const CLIENT_OPTIONS = {
  // Each client gets its own subchannel (connection); grpc-js would otherwise share one among equal clients.
  "grpc.use_local_subchannel_pool": 1,
  // The target is an IP address, which TLS must not send as server name (RFC 6066): check the certificate
  // against its DNS name instead.
  "grpc.ssl_target_name_override": "localhost",
};

const benchmark: Benchmark = {
  name: "grpc-echo",
  async run(ctx: BenchContext): Promise<BenchResult[]> {
    const fixture = await generateMtlsFixture();
    const server = new Server();
    // Encoded once: the floor's server replies with these bytes, the Version call's encodes them each time.
    const payload = Buffer.from(VersionResponse.encode(FIXED_RESPONSE).finish());
    const empty = Buffer.alloc(0);
    server.addService(ECHO_SERVICE, {
      echo: (_call: unknown, callback: (e: null, r: Buffer) => void) => callback(null, payload),
    });
    const versionServer: VersionServiceServer = {
      version: (_call, callback) => callback(null, FIXED_RESPONSE),
    };
    server.addService(VersionServiceService, versionServer);

    const echoClients: EchoClient[] = [];
    const versionClients: VersionServiceClient[] = [];
    try {
      const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", tls13ServerCredentials(fixture), (error, p) =>
          error ? reject(error) : resolve(p),
        ),
      );
      const target = `127.0.0.1:${port}`;
      for (let i = 0; i < CONCURRENT_CLIENTS; i++) {
        echoClients.push(new EchoClientConstructor(target, tls13ChannelCredentials(fixture), CLIENT_OPTIONS));
        versionClients.push(
          new VersionServiceClientConstructor(target, tls13ChannelCredentials(fixture), CLIENT_OPTIONS),
        );
      }
      const echo = (worker: number) =>
        unary<Buffer>((done) => echoClients[worker]!.echo(empty, done)).then((response) => {
          if (response.length !== payload.length) throw wrongReply(response.length, payload.length);
        });
      const version = (worker: number) =>
        unary<VersionResponse>((done) => versionClients[worker]!.version({}, done)).then((response) => {
          if (response.messages.length !== 1) throw wrongReply(response.messages.length, 1);
        });

      // ABBA: the floor goes first in even rounds, the value in odd ones.
      const inRounds = <T>(floorRound: () => Promise<T>, valueRound: () => Promise<T>) =>
        alternateRounds(floorRound, valueRound, { rounds: ROUNDS, signal: ctx.signal, name: "grpc-echo" });

      ctx.log(`grpc-echo: latency, 1 client, ${ROUNDS}×${LATENCY_ITERATIONS} calls each`);
      for (let i = 0; i < LATENCY_WARMUP; i++) {
        await echo(0);
        await version(0);
      }
      const latencyShape = { iterations: LATENCY_ITERATIONS };
      const latency = await inRounds(
        () => measure(() => echo(0), latencyShape),
        () => measure(() => version(0), latencyShape),
      );
      const floorLatency = summarize(latency.floors.flatMap((m) => m.samples));
      const valueLatency = summarize(latency.values.flatMap((m) => m.samples));

      ctx.log(`grpc-echo: throughput, ${CONCURRENT_CLIENTS} clients, ${ROUNDS}×${THROUGHPUT_MS} ms each`);
      const warm = { concurrency: CONCURRENT_CLIENTS, durationMs: THROUGHPUT_WARMUP_MS };
      await throughput(echo, warm);
      await throughput(version, warm);
      const rateShape = { concurrency: CONCURRENT_CLIENTS, durationMs: THROUGHPUT_MS };
      const rates = await inRounds(
        () => throughput(echo, rateShape),
        () => throughput(version, rateShape),
      );

      return [
        {
          figure: "unary latency p50, 1 client",
          unit: "ms",
          value: valueLatency.p50,
          floor: floorLatency.p50,
        },
        {
          figure: "unary latency p99, 1 client",
          unit: "ms",
          value: valueLatency.p99,
          floor: floorLatency.p99,
        },
        {
          figure: `unary throughput, ${CONCURRENT_CLIENTS} clients`,
          unit: "req/s",
          value: combinedRate(rates.values),
          floor: combinedRate(rates.floors),
        },
      ];
    } finally {
      for (const client of [...echoClients, ...versionClients]) client.close();
      server.forceShutdown();
    }
  },
};

export default benchmark;

/** A unary grpc-js call as a promise. */
function unary<T>(start: (done: (error: ServiceError | null, response: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) =>
    start((error, response) => (error ? reject(error) : resolve(response))),
  );
}

/** Calls per second over several windows: all calls over all time, so that longer windows weigh more. */
function combinedRate(windows: readonly Throughput[]): number {
  const operations = windows.reduce((sum, w) => sum + w.operations, 0);
  const elapsedMs = windows.reduce((sum, w) => sum + w.elapsedMs, 0);
  return operations / (elapsedMs / 1000);
}

function wrongReply(got: number, expected: number): SteleError {
  return new SteleError(
    "internal",
    `Benchmark reply is wrong: expected ${expected}, got ${got}`,
    "the server under test is broken; run the API tests (npm run test:unit)",
  );
}
