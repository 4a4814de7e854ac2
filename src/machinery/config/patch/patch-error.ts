import { SteleError } from "../../errors.ts";

/**
 * What went wrong inside the patch engine, before it knows which patch, document or operation it
 * was working on. The exported functions catch it and turn it into a SteleError that names all of
 * those, so every message a user sees has the same shape and the inner code stays simple.
 */
export class PatchFault extends Error {
  readonly hint: string;
  /** Where in the patch file the fault is: keys and list indices from the patch document's root. */
  readonly patchPath: readonly (string | number)[];
  /** The readable path in the target document, e.g. `network.interfaces[name=eth0].mtu`. */
  readonly path: string | undefined;

  constructor(
    detail: string,
    hint: string,
    where: { patchPath?: readonly (string | number)[]; path?: string } = {},
  ) {
    super(detail);
    this.name = "PatchFault";
    this.hint = hint;
    this.patchPath = where.patchPath ?? [];
    this.path = where.path;
  }
}

/** Everything an error message about a patch can name; absent parts are left out. */
export interface PatchSite {
  /** The patch as the user gave it: `@patch.yaml`, `--config-patch`. */
  source?: string | undefined;
  /** `line:column` in the patch text. */
  position?: string | undefined;
  /** The JSON-patch operation: `op 2 (replace /network/hostname)`. */
  operation?: string | undefined;
  /** The target document: `MachineConfig`, `TrustedRootsConfig/company`. */
  document?: string | undefined;
  /** The path inside the target document, for strategic merge patches. */
  path?: string | undefined;
}

/**
 * Builds the one error shape of the patch engine:
 * `Patch @p.yaml:3:5 op 2 (replace /network/hostnme) on MachineConfig: path does not exist`.
 * Source first, because with several `--config-patch` flags it is what the user must find.
 */
export function patchError(site: PatchSite, detail: string, hint: string): SteleError {
  let where = "Patch";
  if (site.source !== undefined) where += ` ${site.source}${site.position ? `:${site.position}` : ""}`;
  else if (site.position) where += ` at ${site.position}`;
  if (site.operation) where += ` ${site.operation}`;
  if (site.document) where += ` on ${site.document}`;
  if (site.path) where += ` at ${site.path}`;
  return new SteleError("invalid-config", `${where}: ${detail}`, hint);
}

/** Describes operation `index` (counted from 1, as people count list items) for error messages. */
export function describeOperation(index: number, raw: unknown): string {
  const op = raw as { op?: unknown; path?: unknown } | null;
  const summary =
    typeof op === "object" && op !== null && typeof op.op === "string" && typeof op.path === "string"
      ? ` (${op.op} ${op.path === "" ? '""' : op.path})`
      : "";
  return `op ${index + 1}${summary}`;
}
