import dgram from "node:dgram";
import net from "node:net";
import tls from "node:tls";
import type { ShippedLine } from "./shipped-line.ts";

/** A log collector on 127.0.0.1 for tests: records every JSON line it receives, in order. */
export interface TestCollector {
  readonly endpoint: string;
  readonly port: number;
  /** Lines received, parsed (a line that is not JSON fails the test at `assertJson`). */
  readonly lines: ShippedLine[];
  /** Raw lines that did not parse as JSON. */
  readonly invalid: string[];
  /** TCP/TLS connections accepted (TLS: handshakes completed). */
  readonly connections: number;
  close(): Promise<void>;
}

/** Options of {@link startCollector}. */
export interface StartCollectorOptions {
  /** Listen on this port (0: any free one). */
  port?: number;
  /** For tls: the server certificate and key (PEM). */
  tls?: { crt: string; key: string };
}

/** Starts a collector speaking `transport` on 127.0.0.1. */
export async function startCollector(
  transport: "tcp" | "udp" | "tls",
  options: StartCollectorOptions = {},
): Promise<TestCollector> {
  const lines: ShippedLine[] = [];
  const invalid: string[] = [];
  const take = (text: string) => {
    try {
      lines.push(JSON.parse(text) as ShippedLine);
    } catch {
      invalid.push(text);
    }
  };
  if (transport === "udp") {
    const socket = dgram.createSocket("udp4");
    socket.on("message", (message) => take(message.toString("utf8").replace(/\n$/, "")));
    await new Promise<void>((resolve) => socket.bind(options.port ?? 0, "127.0.0.1", resolve));
    const port = socket.address().port;
    return {
      endpoint: `udp://127.0.0.1:${port}`,
      port,
      lines,
      invalid,
      connections: 0,
      close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
    };
  }
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const onSocket = (socket: net.Socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let rest = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop() ?? "";
      for (const part of parts) take(part);
    });
  };
  const server =
    transport === "tls"
      ? tls.createServer({ cert: options.tls?.crt, key: options.tls?.key, minVersion: "TLSv1.3" }, onSocket)
      : net.createServer(onSocket);
  server.on("tlsClientError", () => {});
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    endpoint: `${transport}://127.0.0.1:${port}`,
    port,
    lines,
    invalid,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port that was free a moment ago and has no listener now: a collector that is down. */
export async function unusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls `check` every 10 ms until it is true, or fails after `timeoutMs` with `what`. */
export async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Not reached within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
