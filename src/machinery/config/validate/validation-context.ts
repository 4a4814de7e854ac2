import type { IssueDraft } from "../config-issue.ts";
import type { ParsedConfig } from "../parse-config.ts";
import type { ConfigDocument } from "../schema/config-kinds.ts";

/** Where a config will run: `metal` installs to a disk, `container` runs as a sandbox of processes. */
export type ValidationMode = "metal" | "container";

/** What each rule sees: the loaded config, the options, and a way to report a finding. */
export interface ValidationContext {
  readonly parsed: ParsedConfig;
  readonly mode: ValidationMode;
  /** The clock certificates are judged by (injectable so tests are deterministic). */
  readonly now: Date;
  /** Reports a finding on a document; drafts default to errors. */
  report(document: ConfigDocument | "file", draft: IssueDraft): void;
}

/**
 * A semantic rule: one concern, checked across the documents of a config. Rules carry a
 * description so the reference lists exactly the rules the code runs.
 */
export interface ValidationRule {
  /** Short stable identifier, e.g. `worker-secrets`. */
  id: string;
  /** One sentence for the reference: what is checked and why. */
  description: string;
  check(context: ValidationContext): void;
}
