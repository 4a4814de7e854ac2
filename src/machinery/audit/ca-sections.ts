import type { ConfigPath } from "../config/config-path.ts";
import { findDocument } from "../config/document-ref.ts";
import type { ConfigDocument } from "../config/schema/config-kinds.ts";
import type { AuditContext } from "./audit-rule.ts";

/** The sections of a cluster that must each have their own CA (and the service-account key). */
export type CaSectionName = "os" | "kubernetes" | "etcd" | "aggregator" | "service-account";

/** One section's CA (or key) as found in a file: where, and its key's identity. */
export interface CaSection {
  name: CaSectionName;
  /** How messages name it: `etcd CA`. */
  title: string;
  document: ConfigDocument;
  /** The certificate's path, or the key's when there is no readable certificate. */
  path: ConfigPath;
  /** SHA-256 of the public key. */
  spki: string;
  /** SHA-256 of the certificate, when the section has one. */
  fingerprint: string | undefined;
}

const SECTIONS: ReadonlyArray<{ name: CaSectionName; title: string; kind: string; path: ConfigPath }> = [
  { name: "os", title: "OS API CA", kind: "MachineConfig", path: ["ca"] },
  { name: "kubernetes", title: "Kubernetes CA", kind: "ClusterConfig", path: ["ca"] },
  { name: "etcd", title: "etcd CA", kind: "ClusterConfig", path: ["etcd", "ca"] },
  { name: "aggregator", title: "front-proxy (aggregator) CA", kind: "ClusterConfig", path: ["aggregatorCA"] },
  {
    name: "service-account",
    title: "service-account signing key",
    kind: "ClusterConfig",
    path: ["serviceAccount"],
  },
];

function samePath(a: ConfigPath, b: ConfigPath): boolean {
  return a.length === b.length && a.every((segment, i) => segment === b[i]);
}

/**
 * The CA of each section of a file, identified by its public key so that a CA reused under a new
 * certificate is still recognised. Sections whose PEM cannot be read are left out (the
 * `pem-unreadable` rule reports them).
 */
export function caSections(context: AuditContext): CaSection[] {
  const sections: CaSection[] = [];
  for (const section of SECTIONS) {
    const document =
      section.kind === "MachineConfig"
        ? context.parsed.machineConfig
        : findDocument(context.parsed.documents, "ClusterConfig");
    if (!document) continue;
    const at = (leaf: string) =>
      context.pem.find(
        (e) => e.document === document && e.block === 1 && samePath(e.path, [...section.path, leaf]),
      );
    const crt = at("crt");
    const key = at("key");
    if (crt?.content.kind === "certificate") {
      sections.push({
        ...section,
        document,
        path: crt.path,
        spki: crt.content.key.spki,
        fingerprint: crt.content.fingerprint,
      });
    } else if (key?.content.kind === "private-key") {
      sections.push({
        ...section,
        document,
        path: key.path,
        spki: key.content.key.spki,
        fingerprint: undefined,
      });
    }
  }
  return sections;
}
