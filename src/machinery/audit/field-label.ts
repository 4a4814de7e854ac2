import { type ConfigPath, formatConfigPath } from "../config/config-path.ts";
import { documentRef } from "../config/document-ref.ts";
import type { ConfigDocument } from "../config/schema/config-kinds.ts";
import type { PemEntry } from "./pem-inventory.ts";

/** A field as messages name it: `ClusterConfig etcd.ca.crt`. */
export function fieldLabel(document: ConfigDocument, path: ConfigPath): string {
  const formatted = formatConfigPath(path);
  return formatted === "" ? documentRef(document) : `${documentRef(document)} ${formatted}`;
}

/** A PEM block as messages name it: `certificate "etcd"`, `block 2 of 3: certificate "Company Root"`. */
export function pemLabel(entry: PemEntry): string {
  const where = entry.blocks > 1 ? `block ${entry.block} of ${entry.blocks}: ` : "";
  switch (entry.content.kind) {
    case "certificate": {
      const ca = entry.content.info.isCA ? "CA certificate" : "certificate";
      const name = entry.content.info.commonName;
      return `${where}${ca}${name ? ` ${JSON.stringify(name)}` : ""}`;
    }
    case "private-key":
      return `${where}private key`;
    case "public-key":
      return `${where}public key`;
    default:
      return `${where}${entry.label ? `${entry.label} block` : "value"}`;
  }
}
