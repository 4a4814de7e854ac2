/**
 * Test support for apid's daemon tests: calls on the generated method definitions over a real
 * channel, with metadata and a deadline, returning the reply or the error grpc-js raised, so tests
 * assert on what a real client sees.
 */
import { connect, createSecureContext, type PeerCertificate } from "node:tls";
import {
  type ChannelCredentials,
  Client,
  type ClientReadableStream,
  credentials,
  Metadata,
  type MethodDefinition,
  type ServiceError,
} from "@grpc/grpc-js";
import { certificateFingerprint } from "../../machinery/pki/certificate-fingerprint.ts";

/** The outcome of a call: its messages, or the error with the messages that came before it. */
export type Outcome<T> = { ok: true; messages: T[] } | { ok: false; error: ServiceError; messages: T[] };

/** Options of `callApid`. */
export interface CallApidOptions<Request> {
  request: Request;
  metadata?: Record<string, string>;
  /** Milliseconds from now; 5 s by default. */
  deadlineMs?: number;
}

function toMetadata(entries: Record<string, string> = {}): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(entries)) metadata.set(key, value);
  return metadata;
}

/** Makes one unary or server-streaming call to `address` on a fresh channel, closed afterwards. */
export async function callApid<Request, Response>(
  address: string,
  channel: ChannelCredentials,
  method: MethodDefinition<Request, Response>,
  options: CallApidOptions<Request>,
): Promise<Outcome<Response>> {
  const client = new Client(address, channel);
  const deadline = Date.now() + (options.deadlineMs ?? 5_000);
  const metadata = toMetadata(options.metadata);
  try {
    return await new Promise<Outcome<Response>>((resolve) => {
      if (method.responseStream) {
        const messages: Response[] = [];
        const stream = client.makeServerStreamRequest(
          method.path,
          method.requestSerialize,
          method.responseDeserialize,
          options.request,
          metadata,
          { deadline },
        );
        stream.on("data", (message: Response) => messages.push(message));
        stream.on("error", (error: ServiceError) => resolve({ ok: false, error, messages }));
        stream.on("end", () => resolve({ ok: true, messages }));
        return;
      }
      client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        options.request,
        metadata,
        { deadline },
        (error: ServiceError | null, value?: Response) =>
          resolve(error ? { ok: false, error, messages: [] } : { ok: true, messages: [value as Response] }),
      );
    });
  } finally {
    client.close();
  }
}

/** Makes one client-streaming call: sends `chunks` in order, then half-closes, and returns the reply. */
export async function uploadApid<Request, Response>(
  address: string,
  channel: ChannelCredentials,
  method: MethodDefinition<Request, Response>,
  options: { chunks: Request[]; metadata?: Record<string, string>; deadlineMs?: number },
): Promise<Outcome<Response>> {
  const client = new Client(address, channel);
  try {
    return await new Promise<Outcome<Response>>((resolve) => {
      const stream = client.makeClientStreamRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        toMetadata(options.metadata),
        { deadline: Date.now() + (options.deadlineMs ?? 10_000) },
        (error: ServiceError | null, value?: Response) =>
          resolve(error ? { ok: false, error, messages: [] } : { ok: true, messages: [value as Response] }),
      );
      for (const chunk of options.chunks) stream.write(chunk);
      stream.end();
    });
  } finally {
    client.close();
  }
}

/** Opens a server stream and hands it back, for tests that cancel it; `close` the client afterwards. */
export function openStream<Request, Response>(
  address: string,
  channel: ChannelCredentials,
  method: MethodDefinition<Request, Response>,
  request: Request,
): { stream: ClientReadableStream<Response>; client: Client } {
  const client = new Client(address, channel);
  const stream = client.makeServerStreamRequest(
    method.path,
    method.requestSerialize,
    method.responseDeserialize,
    request,
    new Metadata(),
    { deadline: Date.now() + 10_000 },
  );
  return { stream, client };
}

/** The certificate a TLS server presents, fetched without trusting it, as `stelectl` does before pinning. */
export async function fetchServedCertificate(address: string): Promise<string> {
  const [host, port] = [address.replace(/:\d+$/, ""), Number(address.split(":").at(-1))];
  const certificate = await new Promise<PeerCertificate>((resolve, reject) => {
    const socket = connect({ host, port, rejectUnauthorized: false, minVersion: "TLSv1.3" }, () => {
      resolve(socket.getPeerCertificate());
      socket.end();
    });
    socket.on("error", reject);
  });
  const lines = certificate.raw.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}

/** Credentials trusting exactly the pinned certificate, without a client certificate. */
export function pinnedCredentials(serverCrt: string): ChannelCredentials {
  const pinned = certificateFingerprint(serverCrt);
  return credentials.createFromSecureContext(createSecureContext({ ca: serverCrt, minVersion: "TLSv1.3" }), {
    checkServerIdentity: (_host, certificate) =>
      certificateFingerprint(certificate.raw) === pinned ? undefined : new Error("fingerprint mismatch"),
  });
}
