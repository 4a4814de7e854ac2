import { parseAllDocuments } from "yaml";
import { documentRefOf } from "../../config/config-source-map.ts";
import { type GenerateConfigOptions, generateConfigs } from "../../config/generate-config.ts";
import { type ParsedConfig, parseConfig } from "../../config/parse-config.ts";
import { serializeConfig } from "../../config/serialize-config.ts";
import { generateSecretsBundle, type SecretsBundle } from "../../pki/index.ts";

/**
 * Test fixtures of the audit: a clean control-plane and worker pair made the way users make them
 * (`gen secrets`, `gen config`, written out and loaded back), and small editors that change one
 * field of the YAML text, so every finding is checked at a real line of a real file.
 */

/** A config file as the audit gets it: name, text, and the loaded config. */
export interface ConfigFile {
  file: string;
  text: string;
  parsed: ParsedConfig;
}

/** A cluster's secrets and the two machine configs generated from them. */
export interface Cluster {
  secrets: SecretsBundle;
  controlplane: ConfigFile;
  worker: ConfigFile;
}

/** Loads a config text as `stelectl audit FILE` would. */
export function loadConfig(file: string, text: string): ConfigFile {
  return { file, text, parsed: parseConfig(text, { file }) };
}

/** Generates a cluster from fresh secrets (or the ones given), as `stelectl gen` does. */
export async function buildCluster(
  options: { secrets?: SecretsBundle; prefix?: string } & Partial<GenerateConfigOptions> = {},
): Promise<Cluster> {
  const secrets = options.secrets ?? (await generateSecretsBundle());
  const generated = generateConfigs({
    clusterName: options.clusterName ?? "prod-eu1",
    endpoint: options.endpoint ?? "https://10.5.0.2:6443",
    secrets,
  });
  const prefix = options.prefix ?? "";
  return {
    secrets,
    controlplane: loadConfig(`${prefix}controlplane.yaml`, serializeConfig(generated.controlplane)),
    worker: loadConfig(`${prefix}worker.yaml`, serializeConfig(generated.worker)),
  };
}

let shared: Promise<Cluster> | undefined;

/** One clean cluster per test process: key generation is the slow part and no test mutates it. */
export function cleanCluster(): Promise<Cluster> {
  shared ??= buildCluster();
  return shared;
}

/** One change to a document of a config: set a value, or delete the field with `value: undefined`. */
export interface ConfigEdit {
  /** The document's reference: `MachineConfig`, `TrustedRootsConfig/company`. */
  document: string;
  path: ReadonlyArray<string | number>;
  value: unknown;
}

/**
 * Applies edits to the YAML text of a config (keeping everything else as written) and loads the
 * result. Throws when a document does not exist, so a typo in a test cannot make it vacuous.
 */
export function editConfig(config: ConfigFile, edits: readonly ConfigEdit[]): ConfigFile {
  const documents = parseAllDocuments(config.text);
  if (!Array.isArray(documents)) throw new Error("not a YAML stream");
  for (const edit of edits) {
    const doc = documents.find((d) => documentRefOf(d) === edit.document);
    if (!doc) throw new Error(`no document ${edit.document} in ${config.file}`);
    if (edit.value === undefined) {
      if (!doc.hasIn(edit.path)) throw new Error(`no field ${edit.path.join(".")} in ${edit.document}`);
      doc.deleteIn(edit.path);
    } else {
      doc.setIn(edit.path, edit.value);
    }
  }
  return loadConfig(config.file, documents.map((d) => d.toString()).join(""));
}

/** Adds documents (YAML text) at the end of a config. */
export function appendDocuments(config: ConfigFile, yaml: string): ConfigFile {
  return loadConfig(config.file, `${config.text}---\n${yaml}`);
}

/** Removes a document from a config. */
export function removeDocument(config: ConfigFile, ref: string): ConfigFile {
  const documents = parseAllDocuments(config.text);
  if (!Array.isArray(documents)) throw new Error("not a YAML stream");
  const kept = documents.filter((d) => documentRefOf(d) !== ref);
  if (kept.length === documents.length) throw new Error(`no document ${ref} in ${config.file}`);
  return loadConfig(
    config.file,
    kept.map((d, i) => (i === 0 ? d.toString().replace(/^---\n/, "") : d.toString())).join(""),
  );
}

/**
 * The 1-based line where the last of `patterns` matches, each searched after the line of the one
 * before: `lineOf(text, /^kind: ClusterConfig$/m, /^etcd:$/m, /^ {4}key:/m)`. Independent of the
 * loader's source map, so a test checks the audit's positions against the text itself.
 */
export function lineOf(text: string, ...patterns: RegExp[]): number {
  const lines = text.split("\n");
  let from = 0;
  let found = -1;
  for (const pattern of patterns) {
    const single = new RegExp(pattern.source, pattern.flags.replace("g", ""));
    found = lines.findIndex((line, i) => i >= from && single.test(line));
    if (found < 0) throw new Error(`no line matches ${pattern} after line ${from}`);
    from = found + 1;
  }
  return found + 1;
}
