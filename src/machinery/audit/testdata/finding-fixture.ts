import type { Finding } from "../finding.ts";

/** A finding with plausible defaults, for tests of the formatters and exit codes. */
export function finding(overrides: Partial<Finding> = {}): Finding {
  return {
    rule: "debug-enabled",
    severity: "high",
    file: "controlplane.yaml",
    document: "MachineConfig",
    path: "debug",
    line: 12,
    column: 8,
    message: "debug mode is on (debug: true)",
    why: "Debug must be off in production.",
    fix: "set MachineConfig debug: false",
    ...overrides,
  };
}
