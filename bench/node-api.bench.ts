/**
 * The node API as a user meets it: a real control-plane node (machined supervising the real apid and
 * trustd, booted with `--config` on a random loopback address) called over mutual TLS, each figure next
 * to a floor measured in the same run.
 *
 * - Version through apid → machined, against a bare grpc-js mTLS 1.3 echo in this process that answers
 *   with the same bytes (grpc-echo's floor): what the hop, authorisation and the daemons add.
 * - Machined's own log (`Logs`, id "machined"): followed live while clients make machined log (each failed
 *   ServiceStop writes one "API call failed" line), against the rate the lines were written; and the whole
 *   ring (≈ 1 MiB) read with and without follow, against the same bytes through a bare mTLS stream.
 * - Memory at idle: RSS and PSS of machined + apid + trustd, against three idle `node` processes.
 *
 * Floor and value alternate in rounds (ABBA), as in grpc-echo, so drift lands on both.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  type ChannelCredentials,
  type Client,
  type ClientReadableStream,
  credentials,
  makeGenericClientConstructor,
  Server,
  type ServerWritableStream,
  type ServiceDefinition,
  type ServiceError,
} from "@grpc/grpc-js";
import { mutualTlsCredentials } from "../src/cli/client/channel-credentials.ts";
import { LogDriver, MachineServiceClient } from "../src/machinery/api/machine/v1alpha1/machine.ts";
import { VersionResponse, VersionServiceClient } from "../src/machinery/api/machine/v1alpha1/version.ts";
import { SteleError } from "../src/machinery/errors.ts";
import { eventually, killLeftovers, type LocalNode, servicePid } from "../test/e2e/local-node.ts";
import { bootBenchControlPlane, randomLoopbackAddress } from "./bench-control-plane.ts";
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
const ROUNDS = 2;
const LATENCY_ITERATIONS = 500;
const LATENCY_WARMUP = 300;
/** Clients of the throughput figures, each on a connection of its own, as that many stelectl processes. */
const CONCURRENCIES = [8, 32] as const;
const THROUGHPUT_MS = 700;
const THROUGHPUT_WARMUP_MS = 300;
/** Clients making machined log while one follows, and for how long. */
const LOG_WRITERS = 8;
const LOG_WRITE_MS = 3000;
/** Whole-ring reads per round. */
const RING_READS = 3;
/** Bytes per message of a bare stream: machined's chunk size for non-follow Logs. */
const CHUNK_BYTES = 64 * 1024;
const IDLE_MS = 2000;
const MIB = 1024 * 1024;
/** machined's own log, as `stelectl logs machined` asks for it. */
const MACHINED_LOG = { namespace: "", id: "machined", driver: LogDriver.LOG_DRIVER_SERVICE } as const;

const identity = (bytes: Buffer): Buffer => bytes;

/** The floors: a unary echo and a server stream whose messages are the bytes themselves. */
const BARE_SERVICE: ServiceDefinition = {
  echo: {
    path: "/stele.bench.v1alpha1.EchoService/Echo",
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
  stream: {
    path: "/stele.bench.v1alpha1.EchoService/Stream",
    requestStream: false,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

interface BareClient extends Client {
  echo(request: Buffer, callback: (error: ServiceError | null, response: Buffer) => void): void;
  stream(request: Buffer): ClientReadableStream<Buffer>;
}

const BareClientConstructor = makeGenericClientConstructor(BARE_SERVICE, "EchoService") as unknown as new (
  ...args: ConstructorParameters<typeof Client>
) => BareClient;

/** Each client gets its own subchannel (connection); grpc-js would otherwise share one among equal clients. */
const OWN_CONNECTION = { "grpc.use_local_subchannel_pool": 1 };

const benchmark: Benchmark = {
  name: "node-api",
  async run(ctx: BenchContext): Promise<BenchResult[]> {
    const dir = mkdtempSync(join(tmpdir(), "stele-bench-node-"));
    const address = randomLoopbackAddress();
    const closables: Array<{ close(): void }> = [];
    const idle: ChildProcess[] = [];
    const bare = new Server();
    let node: LocalNode | undefined;
    const checkAborted = () => {
      if (ctx.signal.aborted) throw new SteleError("unavailable", "Benchmark interrupted: node-api");
    };
    const inRounds = <T>(floorRound: () => Promise<T>, valueRound: () => Promise<T>) =>
      alternateRounds(floorRound, valueRound, { rounds: ROUNDS, signal: ctx.signal, name: "node-api" });
    try {
      ctx.log(`node-api: booting a control plane on ${address} (state in ${dir})`);
      // The node runs from the bundle, as the image ships it: that is the memory a user gets.
      const booted = await bootBenchControlPlane({
        dir,
        address,
        log: (line) => ctx.log(`node-api: ${line}`),
        // Known to the cleanup as soon as it runs, even if waiting for it fails.
        onNode: (started) => {
          node = started;
        },
      });
      node = booted.node;
      const { secrets, admin } = booted;
      const nodeCredentials = () =>
        mutualTlsCredentials({ ca: secrets.certs.os.crt, crt: admin.crt, key: admin.key });
      const target = `${address}:50000`;
      const versionClients = clientsOf(VersionServiceClient, target, nodeCredentials, closables);
      const version = (worker: number) =>
        unary<VersionResponse>((done) => versionClients(worker).version({}, done));
      const reply = await eventually(() => version(0), 20_000);
      // Measured first: idle means up and not yet busy, as a node is most of its life.
      const results = await idleMemory(node, idle, ctx);
      checkAborted();

      // The floor answers with the bytes the node answers with.
      const fixture = await generateMtlsFixture();
      const payload = Buffer.from(VersionResponse.encode(reply).finish());
      let streamed: Buffer[] = [];
      bare.addService(BARE_SERVICE, {
        echo: (_call: unknown, callback: (e: null, r: Buffer) => void) => callback(null, payload),
        stream: (call: ServerWritableStream<Buffer, Buffer>) => void writeAll(call, streamed),
      });
      const port = await new Promise<number>((resolve, reject) =>
        bare.bindAsync("127.0.0.1:0", tls13ServerCredentials(fixture), (error, p) =>
          error ? reject(error) : resolve(p),
        ),
      );
      const bareClients = clientsOf(
        BareClientConstructor,
        `127.0.0.1:${port}`,
        () => tls13ChannelCredentials(fixture),
        closables,
        // The target is an IP address, which TLS must not send as server name: check the DNS name instead.
        { "grpc.ssl_target_name_override": "localhost" },
      );
      const empty = Buffer.alloc(0);
      const echo = (worker: number) => unary<Buffer>((done) => bareClients(worker).echo(empty, done));

      ctx.log(`node-api: Version latency, 1 client, ${ROUNDS}×${LATENCY_ITERATIONS} calls each`);
      for (let i = 0; i < LATENCY_WARMUP; i++) {
        await echo(0);
        await version(0);
      }
      const shape = { iterations: LATENCY_ITERATIONS };
      const latency = await inRounds(
        () => measure(() => echo(0), shape),
        () => measure(() => version(0), shape),
      );
      const floorLatency = summarize(latency.floors.flatMap((m) => m.samples));
      const valueLatency = summarize(latency.values.flatMap((m) => m.samples));
      const via = "Version via apid → machined";
      results.push(
        { figure: `${via}, p50, 1 client`, unit: "ms", value: valueLatency.p50, floor: floorLatency.p50 },
        { figure: `${via}, p99, 1 client`, unit: "ms", value: valueLatency.p99, floor: floorLatency.p99 },
      );
      // Where the time goes: the same call straight to machined's socket, as apid makes it (no TLS, no hop).
      const direct = new VersionServiceClient(
        `unix:${join(node.stateDir, "run", "machine.sock")}`,
        credentials.createInsecure(),
      );
      closables.push(direct);
      const machinedOnly = () => unary<VersionResponse>((done) => direct.version({}, done));
      for (let i = 0; i < LATENCY_WARMUP; i++) await machinedOnly();
      const directLatency = await inRounds(
        () => measure(() => echo(0), shape),
        () => measure(machinedOnly, shape),
      );
      results.push({
        figure: "Version straight to machined's unix socket (no apid, no TLS), p50, 1 client",
        unit: "ms",
        value: summarize(directLatency.values.flatMap((m) => m.samples)).p50,
        floor: summarize(directLatency.floors.flatMap((m) => m.samples)).p50,
      });

      for (const concurrency of CONCURRENCIES) {
        ctx.log(`node-api: Version throughput, ${concurrency} clients, ${ROUNDS}×${THROUGHPUT_MS} ms each`);
        const warm = { concurrency, durationMs: THROUGHPUT_WARMUP_MS };
        await throughput(echo, warm);
        await throughput(version, warm);
        const rateShape = { concurrency, durationMs: THROUGHPUT_MS };
        const rates = await inRounds(
          () => throughput(echo, rateShape),
          () => throughput(version, rateShape),
        );
        results.push({
          figure: `${via}, ${concurrency} clients`,
          unit: "req/s",
          value: combinedRate(rates.values),
          floor: combinedRate(rates.floors),
        });
      }

      const machineClients = clientsOf(MachineServiceClient, target, nodeCredentials, closables);
      ctx.log(`node-api: logs -f machined while ${LOG_WRITERS} clients make it log for ${LOG_WRITE_MS} ms`);
      const live = await followWhileLogging(machineClients, ctx);
      results.push({
        figure: `logs -f machined, live, lines delivered while ${LOG_WRITERS} clients make it log (floor: lines written)`,
        unit: "lines/s",
        value: live.delivered,
        floor: live.written,
      });

      ctx.log(`node-api: whole ring of machined's log, ${ROUNDS}×${RING_READS} reads each`);
      const ring = await readLog(machineClients(0), { follow: false });
      streamed = chunk(ring.lines);
      const ringBytes = ring.bytes;
      const lastLine = ring.lines.at(-1) ?? "";
      const readBare = async () => {
        const start = process.hrtime.bigint();
        const bytes = await drain(bareClients(0).stream(empty));
        if (bytes !== ringBytes) throw wrongBytes(bytes, ringBytes);
        return Number(process.hrtime.bigint() - start) / 1e6;
      };
      const readRing = async (follow: boolean) => {
        const start = process.hrtime.bigint();
        const read = await readLog(machineClients(0), follow ? { follow, until: lastLine } : { follow });
        // Idle, machined writes nothing: every read is the same ring.
        if (read.bytes !== ringBytes) throw wrongBytes(read.bytes, ringBytes);
        return Number(process.hrtime.bigint() - start) / 1e6;
      };
      const repeat = async (fn: () => Promise<number>) => {
        let ms = 0;
        for (let i = 0; i < RING_READS; i++) ms += await fn();
        return ms;
      };
      await readBare();
      await readRing(false);
      await readRing(true);
      const mibPerSecond = (ms: readonly number[]) =>
        (ringBytes * RING_READS * ms.length) / MIB / (ms.reduce((sum, m) => sum + m, 0) / 1000);
      const plain = await inRounds(
        () => repeat(readBare),
        () => repeat(() => readRing(false)),
      );
      const followed = await inRounds(
        () => repeat(readBare),
        () => repeat(() => readRing(true)),
      );
      const size = `${(ringBytes / MIB).toFixed(2)} MiB, ${ring.lines.length} lines`;
      const bareFloor = "floor: same bytes, bare mTLS stream of 64 KiB messages";
      results.push(
        {
          figure: `logs machined, whole ring (${size}) (${bareFloor})`,
          unit: "MiB/s",
          value: mibPerSecond(plain.values),
          floor: mibPerSecond(plain.floors),
        },
        {
          figure: `logs -f machined, catching up the whole ring (held lines chunked), then following (${bareFloor})`,
          unit: "MiB/s",
          value: mibPerSecond(followed.values),
          floor: mibPerSecond(followed.floors),
        },
      );
      checkAborted();

      return results;
    } finally {
      for (const client of closables) client.close();
      bare.forceShutdown();
      for (const child of idle) child.kill("SIGKILL");
      await node?.stop();
      killLeftovers(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default benchmark;

/** Lazily made clients of one kind, one per worker, each on a connection of its own. */
function clientsOf<C extends { close(): void }>(
  Constructor: new (target: string, credentials: ChannelCredentials, options?: object) => C,
  target: string,
  credentials: () => ChannelCredentials,
  closables: Array<{ close(): void }>,
  options: object = {},
): (worker: number) => C {
  const clients: C[] = [];
  return (worker) => {
    let client = clients[worker];
    if (!client) {
      client = new Constructor(target, credentials(), { ...OWN_CONNECTION, ...options });
      clients[worker] = client;
      closables.push(client);
    }
    return client;
  };
}

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

/**
 * Follows machined's log from now on while `LOG_WRITERS` clients call ServiceStop for services that do not
 * exist: each refusal writes one line into machined's log before the client hears of it, so once the
 * writers stop, the follower must receive exactly as many of those lines as calls were refused.
 */
async function followWhileLogging(
  clients: (worker: number) => MachineServiceClient,
  ctx: BenchContext,
): Promise<{ written: number; delivered: number }> {
  // Tags of this run, so that lines of another run never count; priming lines are not counted.
  const tag = `bench-${process.pid}-${Date.now()}`;
  const counted = `${tag}-w`;
  const primed = `${tag}-p`;
  const refuse = (worker: number, id: string) =>
    unary((done) => clients(worker).serviceStop({ id }, done)).then(
      () => {
        throw new SteleError("internal", "Benchmark reply is wrong: a service that does not exist stopped");
      },
      (error: ServiceError) => {
        if (error.code !== 5) throw error; // 5 = NOT_FOUND, the refusal that logs
      },
    );
  const follower = clients(LOG_WRITERS).logs({ ...MACHINED_LOG, follow: true, tailLines: 0 });
  let received = 0;
  let seenPrime = false;
  let expected = Number.POSITIVE_INFINITY;
  let lastAt = 0n;
  let settle: (error?: Error) => void = () => {};
  const done = new Promise<void>((resolve, reject) => {
    settle = (error) => (error ? reject(error) : resolve());
  });
  // Awaited below; an error before that must not count as unhandled.
  done.catch(() => {});
  follower.on("error", (error: ServiceError) => {
    if (error.code !== 1) settle(error); // 1 = CANCELLED: ours
  });
  follower.on("data", (message: { bytes: Buffer }) => {
    const text = message.bytes.toString();
    if (text.includes(primed)) seenPrime = true;
    for (let at = text.indexOf(counted); at !== -1; at = text.indexOf(counted, at + counted.length)) {
      received++;
    }
    lastAt = process.hrtime.bigint();
    if (received >= expected) settle();
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    // The follower reads only lines written after its call reached machined: log until it sees one.
    for (let i = 0; !seenPrime; i++) {
      if (i === 100) {
        throw new SteleError(
          "unavailable",
          "Follower never started: no line of machined's log arrived within 10 s",
          "run the end-to-end tests (test/e2e/node-api.test.ts) to see whether Logs works",
        );
      }
      await refuse(0, `${primed}-${i}`);
      await sleep(100);
    }
    let calls = 0;
    const start = process.hrtime.bigint();
    const writing = await throughput((worker) => refuse(worker, `${counted}-${calls++}`), {
      concurrency: LOG_WRITERS,
      durationMs: LOG_WRITE_MS,
    });
    expected = writing.operations;
    if (received >= expected) settle();
    timer = setTimeout(
      () =>
        settle(
          new SteleError(
            "unavailable",
            `Follower fell behind: got ${received} of ${expected} lines within 10 s of the last write`,
            "the ring may have lapped the follower (a loss marker); look at machined's log",
          ),
        ),
      10_000,
    );
    await done;
    if (ctx.signal.aborted) throw new SteleError("unavailable", "Benchmark interrupted: node-api");
    const deliveredMs = Number(lastAt - start) / 1e6;
    return { written: writing.perSecond, delivered: received / (deliveredMs / 1000) };
  } finally {
    clearTimeout(timer);
    follower.cancel();
  }
}

/**
 * Reads machined's whole log held in the ring: without follow, until the stream ends; with follow, until
 * the line `until` arrives (the last line the plain read saw), as `stelectl logs -f` shows it.
 */
async function readLog(
  client: MachineServiceClient,
  options: { follow: boolean; until?: string },
): Promise<{ bytes: number; lines: string[] }> {
  const stream = client.logs({ ...MACHINED_LOG, follow: options.follow });
  const parts: Buffer[] = [];
  let bytes = 0;
  const marker = options.until === undefined ? undefined : `${options.until}\n`;
  await new Promise<void>((resolve, reject) => {
    stream.on("data", (message: { bytes: Buffer }) => {
      bytes += message.bytes.length;
      if (!options.follow) parts.push(message.bytes);
      else if (marker !== undefined && message.bytes.toString().endsWith(marker)) {
        resolve();
        stream.cancel();
      }
    });
    stream.on("end", resolve);
    stream.on("error", (error: ServiceError) => (error.code === 1 ? resolve() : reject(error)));
  });
  const text = Buffer.concat(parts).toString();
  return { bytes, lines: text === "" ? [] : text.slice(0, -1).split("\n") };
}

/** Lines as machined's non-follow Logs sends them: whole lines in messages of at most 64 KiB. */
function chunk(lines: readonly string[]): Buffer[] {
  const chunks: Buffer[] = [];
  let parts: Buffer[] = [];
  let size = 0;
  for (const line of lines) {
    const bytes = Buffer.from(`${line}\n`);
    if (size > 0 && size + bytes.length > CHUNK_BYTES) {
      chunks.push(Buffer.concat(parts));
      parts = [];
      size = 0;
    }
    parts.push(bytes);
    size += bytes.length;
  }
  if (size > 0) chunks.push(Buffer.concat(parts));
  return chunks;
}

/** Writes every chunk, waiting while the client's window is full, then ends the stream. */
async function writeAll(
  call: ServerWritableStream<Buffer, Buffer>,
  chunks: readonly Buffer[],
): Promise<void> {
  for (const part of chunks) {
    if (!call.write(part)) await new Promise((resolve) => call.once("drain", resolve));
  }
  call.end();
}

/** Reads a stream to its end and returns the bytes it carried. */
function drain(stream: ClientReadableStream<Buffer>): Promise<number> {
  let bytes = 0;
  return new Promise((resolve, reject) => {
    stream.on("data", (part: Buffer) => {
      bytes += part.length;
    });
    stream.on("end", () => resolve(bytes));
    stream.on("error", reject);
  });
}

/**
 * RSS and PSS of machined, apid and trustd after `IDLE_MS` of idleness, against as many idle `node`
 * processes started at the same time (which it adds to `idle`, for the caller to kill): what a node costs
 * beyond the runtime itself. PSS splits shared pages (the node binary) among the processes mapping them.
 */
async function idleMemory(node: LocalNode, idle: ChildProcess[], ctx: BenchContext): Promise<BenchResult[]> {
  ctx.log(`node-api: memory after ${IDLE_MS} ms idle`);
  for (let i = 0; i < 3; i++) {
    idle.push(spawn(process.execPath, ["-e", "setInterval(()=>{},1000)"], { stdio: "ignore" }));
  }
  await sleep(IDLE_MS);
  const daemons = {
    machined: node.process.pid,
    apid: servicePid(node.stateDir, "apid"),
    trustd: servicePid(node.stateDir, "trustd"),
  };
  const pids = Object.values(daemons);
  if (pids.some((pid) => pid === undefined)) {
    throw new SteleError(
      "not-found",
      `Daemon not running: pids are ${JSON.stringify(daemons)}`,
      "run the end-to-end tests (test/e2e/node-api.test.ts) to see why the node did not come up",
    );
  }
  for (const [name, pid] of Object.entries(daemons)) {
    const { rss, pss } = sumMemory([pid!]);
    ctx.log(`node-api: ${name} RSS ${rss.toFixed(1)} MiB, PSS ${pss.toFixed(1)} MiB`);
  }
  const value = sumMemory(pids as number[]);
  const floor = sumMemory(idle.map((child) => child.pid!));
  const of = "of machined + apid + trustd (floor: 3 idle node processes)";
  return [
    { figure: `memory at idle (bundled), RSS ${of}`, unit: "MiB", value: value.rss, floor: floor.rss },
    { figure: `memory at idle (bundled), PSS ${of}`, unit: "MiB", value: value.pss, floor: floor.pss },
  ];
}

/** RSS and PSS in MiB, summed over processes, from /proc/<pid>/smaps_rollup. */
function sumMemory(pids: readonly number[]): { rss: number; pss: number } {
  let rss = 0;
  let pss = 0;
  for (const pid of pids) {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    rss += kibOf(rollup, "Rss");
    pss += kibOf(rollup, "Pss");
  }
  return { rss: rss / 1024, pss: pss / 1024 };
}

function kibOf(rollup: string, field: string): number {
  const match = rollup.match(new RegExp(`^${field}:\\s+(\\d+) kB$`, "m"));
  if (!match) {
    throw new SteleError(
      "io",
      `Cannot read memory: no ${field} in smaps_rollup`,
      "run on Linux 4.14 or later, which has /proc/<pid>/smaps_rollup",
    );
  }
  return Number(match[1]);
}

function wrongBytes(got: number, expected: number): SteleError {
  return new SteleError(
    "internal",
    `Benchmark read is wrong: expected ${expected} bytes, got ${got}`,
    "machined wrote to its log while idle, or a stream ended early; run the benchmark again",
  );
}
