import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Server } from "@grpc/grpc-js";
import {
  type AnyDefinition,
  load,
  type PackageDefinition,
  type ProtobufTypeDefinition,
} from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { isSteleError, SteleError } from "../../machinery/errors.ts";
import type { ApidLogger } from "./apid-logger.ts";
import { FORWARDED_SERVICES } from "./forwarding-proxy.ts";
import { linkFileDescriptors } from "./link-file-descriptors.ts";

/**
 * Where the public API's `.proto` files are at run time: `api/` at the root of the repository, which
 * the image ships beside the code in the same relative place. The one place that knows the path.
 */
export const API_PROTO_DIR = findApiProtoDir(fileURLToPath(new URL(".", import.meta.url)));

/**
 * The `api/` directory nearest above this code: `<repo>/api/` from the sources (src/app/apid) and
 * from the bundle (dist/stele.mjs), and beside the bundle in the image. Falls back to the sources'
 * layout, where a missing directory is reported when reflection starts.
 */
function findApiProtoDir(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, "api", "common"))) return `${join(dir, "api")}/`;
  }
  return fileURLToPath(new URL("../../../api/", import.meta.url));
}

/**
 * The services reflection lists: the ones apid serves (forwarding-proxy.ts forwards exactly these).
 * SecurityService is in `api/` too, but trustd serves it, not apid, so listing it here would point
 * clients at a service that answers UNIMPLEMENTED. Its messages stay resolvable by name: schema only.
 */
export const REFLECTED_SERVICES: readonly string[] = FORWARDED_SERVICES.map((definition) =>
  serviceName(definition),
);

/** Options of `addReflection`. */
export interface AddReflectionOptions {
  /** The directory holding the `.proto` files, the include root of their imports; `API_PROTO_DIR` by default. */
  protoDir?: string;
  /** Where a failure to load the schema is reported. */
  logger: ApidLogger;
}

/**
 * Registers gRPC server reflection (`grpc.reflection.v1` and `v1alpha`, as `@grpc/reflection` serves
 * both) on `server`, so any standard client (buf curl, grpcurl, Postman) can list and call apid's API
 * without a copy of the protos. The schema is loaded from the `.proto` files themselves, found by
 * walking `protoDir`, so it is the published contract and not a hand-kept list.
 *
 * Authorization, on purpose: the reflection handlers are registered straight on the grpc-js server,
 * not through the forwarding proxy. They answer from descriptors held in this process, never consult
 * the role table, never read `x-stele-node` and hold no channel to machined or to peers, so they
 * cannot be used to reach either. What they reveal is the public schema, which is published with the
 * source, so every client that completed the TLS handshake may use them: in mutual mode that is a
 * client certificate of this cluster (checked in the handshake), in maintenance mode anyone, as for
 * Version. Calls made after reflecting go through the proxy and its role table as any other call.
 * See docs/adr/0007-grpc-reflection.md.
 *
 * Resolves true when reflection is served. When the protos cannot be loaded (a broken image), it
 * logs why and registers nothing, resolving false: reflection is a convenience, and apid is the
 * node's only handle, so it keeps serving the API without it.
 */
export async function addReflection(
  server: Pick<Server, "addService">,
  options: AddReflectionOptions,
): Promise<boolean> {
  const protoDir = options.protoDir ?? API_PROTO_DIR;
  try {
    const reflection = new ReflectionService(await loadApiSchema(protoDir), {
      services: [...REFLECTED_SERVICES],
    });
    reflection.addToServer(server);
    return true;
  } catch (error) {
    const failure = isSteleError(error)
      ? error
      : new SteleError(
          "internal",
          `Cannot serve gRPC reflection: the protos in ${protoDir} do not load: ${(error as Error).message}`,
          "Rebuild the image with the api/ directory of the same release; the API is served without reflection",
          { cause: error },
        );
    options.logger.error({ code: failure.code, hint: failure.hint, protoDir }, failure.message);
    return false;
  }
}

/**
 * Loads every `.proto` under `protoDir` (imports resolved from there), as proto-loader describes them
 * but with the descriptors' dependency lists filled in, which standard reflection clients need.
 */
async function loadApiSchema(protoDir: string): Promise<PackageDefinition> {
  let files: string[];
  try {
    files = await readdir(protoDir, { recursive: true, encoding: "utf8" });
  } catch (error) {
    throw new SteleError(
      "internal",
      `Cannot serve gRPC reflection: cannot read the protos directory: ${protoDir}: ${(error as Error).message}`,
      "Rebuild the image with the api/ directory beside the code; the API is served without reflection",
      { cause: error },
    );
  }
  const protos = files.filter((file) => file.endsWith(".proto")).sort();
  if (protos.length === 0) {
    throw new SteleError(
      "internal",
      `Cannot serve gRPC reflection: no .proto files in ${protoDir}`,
      "Rebuild the image with the api/ directory beside the code; the API is served without reflection",
    );
  }
  // keepCase: the descriptors must carry the field names the .proto files declare, not camelCase ones.
  const definition = await load(protos, { includeDirs: [protoDir], keepCase: true });
  // Every message and enum entry carries the same descriptors; @grpc/reflection reads them from all.
  const types = Object.values(definition).filter(isTypeDefinition);
  const linked = linkFileDescriptors(types.flatMap((type) => type.fileDescriptorProtos)).map((bytes) =>
    Buffer.from(bytes),
  );
  for (const type of types) type.fileDescriptorProtos = linked;
  return definition;
}

/** A message or enum entry of a package definition (they carry the descriptors), not a service. */
function isTypeDefinition(entry: AnyDefinition): entry is Extract<AnyDefinition, ProtobufTypeDefinition> {
  return "format" in entry && Array.isArray(entry.fileDescriptorProtos);
}

/** `stele.machine.v1alpha1.VersionService` from a generated definition's `/stele…VersionService/Version`. */
function serviceName(definition: Record<string, { path: string }>): string {
  const [method] = Object.values(definition);
  if (method === undefined) throw new Error("A generated service definition has no methods");
  return method.path.slice(1, method.path.lastIndexOf("/"));
}
