import type { ConfigPath } from "../config-path.ts";
import { formatConfigPath } from "../config-path.ts";
import { findDocument } from "../document-ref.ts";
import type { ConfigDocument } from "../schema/config-kinds.ts";
import type { ValidationContext, ValidationRule } from "./validation-context.ts";

/** A list whose entries are identified by one field (or by themselves). */
interface KeyedList {
  document: ConfigDocument;
  path: ConfigPath;
  keys: readonly string[];
  /** Field holding the key inside each entry; undefined when the entry is the key. */
  field?: string;
  severity: "error" | "warning";
  what: string;
}

function check(context: ValidationContext, list: KeyedList): void {
  const seen = new Map<string, number>();
  list.keys.forEach((key, i) => {
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, i);
      return;
    }
    const path = list.field ? [...list.path, i, list.field] : [...list.path, i];
    context.report(list.document, {
      severity: list.severity,
      path,
      message: `duplicate ${list.what} ${JSON.stringify(key)} (also ${formatConfigPath(list.field ? [...list.path, first, list.field] : [...list.path, first])})`,
      hint:
        list.severity === "error"
          ? `keep one entry per ${list.what}: patches merge these lists by it`
          : "remove the repeated entry",
    });
  });
}

/**
 * Lists that patches merge by key must not repeat a key (a merge would be ambiguous); plain lists
 * with repeats are only warned about.
 */
export const uniqueEntriesRule: ValidationRule = {
  id: "unique-entries",
  description:
    "Lists merged by key hold each key once: `files[].path`, `logging.destinations[].endpoint`, `inlineManifests[].name`, `keys[].name`, `extensions[].name`. Repeated SANs, nameservers and mirror endpoints are warnings.",
  check(context) {
    const machine = context.parsed.machineConfig;
    const documents = context.parsed.documents;
    const lists: KeyedList[] = [
      {
        document: machine,
        path: ["files"],
        keys: machine.files.map((f) => f.path),
        field: "path",
        severity: "error",
        what: "file path",
      },
      {
        document: machine,
        path: ["logging", "destinations"],
        keys: machine.logging.destinations.map((d) => d.endpoint),
        field: "endpoint",
        severity: "error",
        what: "log endpoint",
      },
      { document: machine, path: ["certSANs"], keys: machine.certSANs, severity: "warning", what: "SAN" },
      {
        document: machine,
        path: ["network", "nameservers"],
        keys: machine.network.nameservers ?? [],
        severity: "warning",
        what: "nameserver",
      },
    ];
    for (const [host, mirror] of Object.entries(machine.registries.mirrors ?? {})) {
      lists.push({
        document: machine,
        path: ["registries", "mirrors", host, "endpoints"],
        keys: mirror.endpoints,
        severity: "warning",
        what: "endpoint",
      });
    }
    const cluster = findDocument(documents, "ClusterConfig");
    if (cluster) {
      lists.push(
        {
          document: cluster,
          path: ["inlineManifests"],
          keys: cluster.inlineManifests.map((m) => m.name),
          field: "name",
          severity: "error",
          what: "manifest name",
        },
        {
          document: cluster,
          path: ["apiServer", "certSANs"],
          keys: cluster.apiServer.certSANs ?? [],
          severity: "warning",
          what: "SAN",
        },
      );
    }
    const trusted = findDocument(documents, "TrustedKeysConfig");
    if (trusted) {
      lists.push({
        document: trusted,
        path: ["keys"],
        keys: trusted.keys.map((k) => k.name),
        field: "name",
        severity: "error",
        what: "key name",
      });
    }
    const extensions = findDocument(documents, "ExtensionsConfig");
    if (extensions) {
      lists.push({
        document: extensions,
        path: ["extensions"],
        keys: extensions.extensions.map((e) => e.name),
        field: "name",
        severity: "error",
        what: "extension name",
      });
    }
    for (const list of lists) check(context, list);
  },
};
