import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { describe, test } from "node:test";
import { create, createFileRegistry, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
} from "@bufbuild/protobuf/wkt";
import { load } from "@grpc/proto-loader";
import { API_PROTO_DIR } from "./add-reflection.ts";
import { linkFileDescriptors } from "./link-file-descriptors.ts";

/** A standard descriptor pool (@bufbuild/protobuf's): it throws on anything it cannot link. */
const registryOf = (files: readonly Uint8Array[]) =>
  createFileRegistry(
    create(FileDescriptorSetSchema, {
      file: files.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes)),
    }),
  );

const file = (init: Parameters<typeof create<typeof FileDescriptorProtoSchema>>[1]): Uint8Array =>
  toBinary(FileDescriptorProtoSchema, create(FileDescriptorProtoSchema, { syntax: "proto3", ...init }));

const decoded = (bytes: readonly Uint8Array[]): FileDescriptorProto[] =>
  bytes.map((b) => fromBinary(FileDescriptorProtoSchema, b));

/** TYPE_MESSAGE, LABEL_OPTIONAL, LABEL_REPEATED, TYPE_STRING in descriptor.proto. */
const MESSAGE = 11;
const OPTIONAL = 1;
const REPEATED = 3;
const STRING = 9;

describe("linkFileDescriptors", () => {
  test("the api/ protos as proto-loader describes them link only after it", async () => {
    const protos = (await readdir(API_PROTO_DIR, { recursive: true, encoding: "utf8" }))
      .filter((name) => name.endsWith(".proto"))
      .sort();
    const definition = await load(protos, { includeDirs: [API_PROTO_DIR], keepCase: true });
    const raw = Object.values(definition).flatMap((entry) =>
      "fileDescriptorProtos" in entry ? (entry.fileDescriptorProtos as Buffer[]) : [],
    );
    const unique = [...new Map(raw.map((bytes) => [bytes.toString("hex"), bytes])).values()];
    // What fails first depends on the order proto-loader read the files in; that something fails does not.
    assert.throws(() => registryOf(unique));
    const registry = registryOf(linkFileDescriptors(raw));
    const version = registry.getService("stele.machine.v1alpha1.VersionService");
    assert.equal(version?.methods[0]?.input.typeName, "stele.machine.v1alpha1.VersionRequest");
    const reply = registry.getMessage("stele.machine.v1alpha1.VersionReply");
    assert.equal(reply?.field.metadata?.message?.typeName, "stele.common.v1alpha1.Metadata");
    const labels = registry.getMessage("stele.resource.v1alpha1.ResourceMetadata")?.field.labels;
    assert.equal(labels?.fieldKind, "map");
    assert.ok(registry.getService("stele.resource.v1alpha1.ResourceService"));
  });

  test("a relative reference resolves in the innermost scope that defines it, and names its file", () => {
    const linked = decoded(
      linkFileDescriptors([
        file({ name: "outer.proto", package: "a", messageType: [{ name: "N" }] }),
        file({ name: "inner.proto", package: "a.b", messageType: [{ name: "N" }] }),
        file({
          name: "user.proto",
          package: "a.b.c",
          messageType: [
            {
              name: "M",
              field: [
                { name: "near", number: 1, label: OPTIONAL, type: MESSAGE, typeName: "N" },
                { name: "far", number: 2, label: OPTIONAL, type: MESSAGE, typeName: "a.N" },
                { name: "own", number: 3, label: OPTIONAL, type: MESSAGE, typeName: "M" },
              ],
            },
          ],
        }),
      ]),
    );
    const user = linked.find((f) => f.name === "user.proto");
    assert.deepEqual(
      user?.messageType[0]?.field.map((f) => f.typeName),
      [".a.b.N", ".a.N", ".a.b.c.M"],
    );
    assert.deepEqual(user?.dependency, ["inner.proto", "outer.proto"]);
    assert.deepEqual(linked.find((f) => f.name === "outer.proto")?.dependency, []);
  });

  test("a map field's entry type gets protobuf's name, so strict pools accept it", () => {
    const entry = {
      name: "PrintColumns",
      options: { mapEntry: true },
      field: [
        { name: "key", number: 1, label: OPTIONAL, type: STRING },
        { name: "value", number: 2, label: OPTIONAL, type: STRING },
      ],
    };
    const linked = linkFileDescriptors([
      file({
        name: "m.proto",
        package: "p",
        messageType: [
          {
            name: "M",
            nestedType: [entry],
            field: [
              { name: "print_columns", number: 1, label: REPEATED, type: MESSAGE, typeName: "PrintColumns" },
            ],
          },
        ],
      }),
    ]);
    const message = decoded(linked)[0]?.messageType[0];
    assert.equal(message?.nestedType[0]?.name, "PrintColumnsEntry");
    assert.equal(message?.field[0]?.typeName, ".p.M.PrintColumnsEntry");
    assert.equal(registryOf(linked).getMessage("p.M")?.field.printColumns?.fieldKind, "map");
  });

  test("duplicates are dropped and every file follows the files it depends on", () => {
    const user = file({
      name: "user.proto",
      package: "u",
      messageType: [
        { name: "M", field: [{ name: "a", number: 1, label: OPTIONAL, type: MESSAGE, typeName: ".a.A" }] },
      ],
    });
    const a = file({ name: "a.proto", package: "a", messageType: [{ name: "A" }] });
    const b = file({ name: "b.proto", package: "b" });
    assert.deepEqual(
      decoded(linkFileDescriptors([b, user, a, b, user])).map((f) => f.name),
      ["b.proto", "a.proto", "user.proto"],
    );
  });
});
