import { fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  type DescriptorProto,
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
} from "@bufbuild/protobuf/wkt";

/**
 * Makes serialized FileDescriptorProtos self-contained for standard descriptor pools and returns them
 * serialized again: every type reference is made fully qualified (`.stele.common.v1alpha1.Metadata`)
 * and every file's `dependency` list names the files defining the types it refers to. proto-loader
 * describes one file per protobuf package, writes references relative to their scope, as the .proto
 * text has them, and leaves `dependency` empty; `@grpc/reflection` sends the descriptors as they are,
 * so a standard client (buf curl, grpcurl, any Go or C++ descriptor pool) cannot link them and
 * refuses the schema. protobufjs also names a map field's entry type after the field (`Labels`) where
 * protobuf requires `LabelsEntry`, which Go's descriptor checks reject; entries are renamed so.
 * Each input appears once in the output (duplicates by name are dropped), every file after the files
 * it depends on, as protoc orders a FileDescriptorSet and as pools that read one in a pass expect.
 */
export function linkFileDescriptors(serialized: readonly Uint8Array[]): Uint8Array[] {
  const files = new Map<string, FileDescriptorProto>();
  for (const bytes of serialized) {
    const file = fromBinary(FileDescriptorProtoSchema, bytes);
    if (files.has(file.name)) continue;
    for (const message of file.messageType) renameMapEntries(message);
    files.set(file.name, file);
  }
  const definedIn = new Map<string, string>();
  for (const file of files.values()) {
    for (const name of definedNames(file)) definedIn.set(name, file.name);
  }
  for (const file of files.values()) {
    const dependencies = new Set<string>();
    const qualify = (reference: string, scope: string): string => {
      if (reference === "") return reference;
      const resolved = resolve(reference, scope, definedIn);
      const owner = definedIn.get(resolved);
      if (owner !== undefined && owner !== file.name) dependencies.add(owner);
      return resolved;
    };
    const pkg = file.package === "" ? "" : `.${file.package}`;
    const visit = (message: DescriptorProto, scope: string): void => {
      const name = `${scope}.${message.name}`;
      for (const field of message.field) field.typeName = qualify(field.typeName, name);
      for (const extension of message.extension) {
        extension.typeName = qualify(extension.typeName, name);
        extension.extendee = qualify(extension.extendee, name);
      }
      for (const nested of message.nestedType) visit(nested, name);
    };
    for (const message of file.messageType) visit(message, pkg);
    for (const extension of file.extension) {
      extension.typeName = qualify(extension.typeName, pkg);
      extension.extendee = qualify(extension.extendee, pkg);
    }
    for (const service of file.service) {
      for (const method of service.method) {
        method.inputType = qualify(method.inputType, pkg);
        method.outputType = qualify(method.outputType, pkg);
      }
    }
    file.dependency = [...dependencies].sort();
  }
  return dependencyOrder(files).map((file) => toBinary(FileDescriptorProtoSchema, file));
}

/** The files, each after those it depends on, otherwise in their order (a cycle, which no pool links, stays). */
function dependencyOrder(files: ReadonlyMap<string, FileDescriptorProto>): FileDescriptorProto[] {
  const ordered: FileDescriptorProto[] = [];
  const placed = new Set<string>();
  const place = (file: FileDescriptorProto): void => {
    if (placed.has(file.name)) return;
    placed.add(file.name);
    for (const dependency of file.dependency) {
      const target = files.get(dependency);
      if (target !== undefined) place(target);
    }
    ordered.push(file);
  };
  for (const file of files.values()) place(file);
  return ordered;
}

/** Renames map entry types, in `message` and those nested in it, to `<CamelCasedFieldName>Entry`. */
function renameMapEntries(message: DescriptorProto): void {
  for (const field of message.field) {
    const simple = field.typeName.slice(field.typeName.lastIndexOf(".") + 1);
    const entry = message.nestedType.find(
      (nested) => nested.options?.mapEntry === true && nested.name === simple,
    );
    if (entry === undefined) continue;
    const name = mapEntryName(field.name);
    entry.name = name;
    field.typeName = `${field.typeName.slice(0, field.typeName.length - simple.length)}${name}`;
  }
  for (const nested of message.nestedType) renameMapEntries(nested);
}

/** protoc's name for a map field's entry type: `print_columns` → `PrintColumnsEntry`. */
function mapEntryName(fieldName: string): string {
  const camel = fieldName.replace(
    /_+([a-z0-9])?/g,
    (_match, next: string | undefined) => next?.toUpperCase() ?? "",
  );
  return `${camel.charAt(0).toUpperCase()}${camel.slice(1)}Entry`;
}

/**
 * The fully qualified name a type reference means inside `scope` (a message's or a package's full
 * name, leading dot): protobuf looks in the scope, then in each enclosing one, out to the root. An
 * unknown reference is returned unchanged, for the client to report.
 */
function resolve(reference: string, scope: string, known: ReadonlyMap<string, string>): string {
  if (reference.startsWith(".")) return reference;
  for (let outer = scope; ; outer = outer.slice(0, outer.lastIndexOf("."))) {
    const candidate = `${outer}.${reference}`;
    if (known.has(candidate)) return candidate;
    if (outer === "") return reference;
  }
}

/** Fully qualified names (leading dot) of the messages, enums and services a file defines. */
function definedNames(file: FileDescriptorProto): string[] {
  const prefix = file.package === "" ? "" : `.${file.package}`;
  const names = [
    ...file.enumType.map((type) => `${prefix}.${type.name}`),
    ...file.service.map((service) => `${prefix}.${service.name}`),
  ];
  const visit = (message: DescriptorProto, scope: string): void => {
    const name = `${scope}.${message.name}`;
    names.push(name);
    for (const type of message.enumType) names.push(`${name}.${type.name}`);
    for (const nested of message.nestedType) visit(nested, name);
  };
  for (const message of file.messageType) visit(message, prefix);
  return names;
}
