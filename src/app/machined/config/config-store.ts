import { existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { ValidationMode } from "../../../machinery/config/index.ts";
import {
  ConfigError,
  loadAndValidateConfig,
  type ParsedConfig,
  serializeConfig,
} from "../../../machinery/config/index.ts";
import { SteleError } from "../../../machinery/errors.ts";
import { writeFilesAtomically } from "../../../pkg/fs/write-files-atomically.ts";
import { rebootRequiredChanges } from "./reboot-required-changes.ts";
import { unifiedDiff } from "./unified-diff.ts";

/** How a new config takes effect; the machine API's ApplyMode without its prefix. */
export type ApplyMode = "auto" | "no-reboot" | "reboot" | "staged" | "try";

/** A config that passed validation: the bytes as the user sent them, and what they mean. */
export interface LoadedConfig {
  readonly text: string;
  readonly parsed: ParsedConfig;
  /** Validator warnings (deprecated fields …), formatted; they do not block. */
  readonly warnings: readonly string[];
}

/** What applying a config would do; `plan` computes it without changing anything. */
export interface ApplyPlan {
  readonly config: LoadedConfig;
  /** The mode that will be used: the one asked for, or what `auto` chose. */
  readonly mode: Exclude<ApplyMode, "auto">;
  /** Why that mode, in words. */
  readonly details: string;
  /** The change from the running config, a unified diff of the canonical YAML (secrets included). */
  readonly diff: string;
}

/** The file names under STATE. */
const CONFIG_FILE = "config.yaml";
const STAGED_FILE = "config.staged.yaml";
/** The config a `try` replaced, kept until it is confirmed or rolled back. */
const ROLLBACK_FILE = "config.rollback.yaml";

/**
 * The node's machine config on STATE: `config.yaml` (the running one), `config.staged.yaml` (applied
 * at the next boot) and, during a `try`, `config.rollback.yaml`. Every write is write-temp, fsync,
 * rename, so a power cut leaves the old file or the new one, never half of one. Validation happens
 * before any write: an invalid config throws the validator's ConfigError and changes nothing.
 *
 * `try` follows Talos: the config is applied now and rolled back after the timeout unless another
 * apply comes first; any later successful apply confirms it (a second `try` then starts its own
 * timer, rolling back to the confirmed config). A reboot during a `try` boots the old config: an
 * unconfirmed try never outlives the run that tried it.
 */
export class ConfigStore {
  readonly #dir: string;
  readonly #validationMode: ValidationMode;
  #current: LoadedConfig | undefined;
  #tryTimer: NodeJS.Timeout | undefined;

  constructor(stateDir: string, options: { validationMode: ValidationMode }) {
    this.#dir = stateDir;
    this.#validationMode = options.validationMode;
  }

  /** The running config, or undefined in maintenance mode (no config yet). */
  get current(): LoadedConfig | undefined {
    return this.#current;
  }

  /** Whether a staged config waits for the next boot. */
  get hasStaged(): boolean {
    return existsSync(this.#path(STAGED_FILE));
  }

  /** Whether a `try` waits for confirmation. */
  get tryPending(): boolean {
    return this.#tryTimer !== undefined;
  }

  /**
   * Reads the config at boot: rolls back an unconfirmed `try`, promotes a staged config, then loads
   * `config.yaml`. Returns undefined when there is none (maintenance mode); throws the ConfigError
   * of a stored config that no longer validates, which the boot reports as an event.
   */
  loadAtBoot(): LoadedConfig | undefined {
    this.#cancelTry();
    if (existsSync(this.#path(ROLLBACK_FILE))) renameSync(this.#path(ROLLBACK_FILE), this.#path(CONFIG_FILE));
    if (existsSync(this.#path(STAGED_FILE))) renameSync(this.#path(STAGED_FILE), this.#path(CONFIG_FILE));
    this.#current = undefined;
    if (!existsSync(this.#path(CONFIG_FILE))) return undefined;
    this.#current = this.validate(readFileSync(this.#path(CONFIG_FILE), "utf8"), CONFIG_FILE);
    return this.#current;
  }

  /** Parses and validates a config; throws the validator's ConfigError (code invalid-config) when it has errors. */
  validate(text: string, file = "config.yaml"): LoadedConfig {
    const { parsed, issues } = loadAndValidateConfig(text, { file, mode: this.#validationMode });
    if (issues.some((issue) => issue.severity === "error")) throw new ConfigError(issues);
    const warnings = issues.map((issue) => `${issue.file}:${issue.line}:${issue.column} ${issue.message}`);
    return { text, parsed, warnings };
  }

  /**
   * Validates a config and decides how it would be applied, changing nothing. `no-reboot` and `try`
   * are refused (failed-precondition, naming the fields) when a reboot-only field changes; `auto`
   * picks `reboot` for those and `no-reboot` otherwise.
   */
  plan(text: string, mode: ApplyMode): ApplyPlan {
    const config = this.validate(text);
    const running = this.#current;
    const diff = unifiedDiff(running ? canonical(running) : "", canonical(config), {
      from: running ? "running" : "/dev/null",
      to: "new",
    });
    if (!running) {
      if (mode === "try") {
        throw new SteleError(
          "failed-precondition",
          "Cannot try a configuration in maintenance mode: there is no configuration to roll back to",
          "Apply it with mode auto; the node boots with it",
        );
      }
      if (mode === "staged") return { config, mode, details: "Staged for the next boot", diff };
      return {
        config,
        mode: "reboot",
        details: "The node had no configuration: it boots with this one",
        diff,
      };
    }
    const fields = rebootRequiredChanges(running.parsed.machineConfig, config.parsed.machineConfig);
    if (mode === "staged") return { config, mode, details: "Staged: applied at the next reboot", diff };
    if (mode === "reboot") return { config, mode, details: "Applied at the reboot that follows", diff };
    if (fields.length > 0) {
      if (mode === "auto") {
        return {
          config,
          mode: "reboot",
          details: `A reboot is needed to change: ${fields.join(", ")}`,
          diff,
        };
      }
      throw new SteleError(
        "failed-precondition",
        `Cannot apply without a reboot: these fields change only at boot: ${fields.join(", ")}`,
        "Apply with mode auto or reboot, or stage the configuration for the next reboot",
      );
    }
    if (mode === "try") return { config, mode, details: "Applied live, rolled back unless confirmed", diff };
    return { config, mode: "no-reboot", details: "Applied live: no change needs a reboot", diff };
  }

  /**
   * Makes a validated config the running one (written to `config.yaml`) and confirms a pending try.
   * Also used at boot with `--config`, which copies the given file into STATE.
   */
  commit(config: LoadedConfig): void {
    this.#cancelTry();
    rmSync(this.#path(ROLLBACK_FILE), { force: true });
    rmSync(this.#path(STAGED_FILE), { force: true });
    this.#write(CONFIG_FILE, config.text);
    this.#current = config;
  }

  /** Stores a validated config for the next boot; the running one is untouched. */
  stage(config: LoadedConfig): void {
    this.#write(STAGED_FILE, config.text);
  }

  /**
   * Applies a config now and rolls back to the running one after `timeoutMs` unless something else
   * is applied first; `onRollback` gets the restored config, for the daemon to apply it live.
   */
  tryApply(config: LoadedConfig, timeoutMs: number, onRollback: (restored: LoadedConfig) => void): void {
    const previous = this.#current;
    if (!previous) throw new SteleError("internal", "Cannot try a configuration: none is running");
    this.commit(config);
    this.#write(ROLLBACK_FILE, previous.text);
    this.#tryTimer = setTimeout(() => {
      this.#tryTimer = undefined;
      this.commit(previous);
      onRollback(previous);
    }, timeoutMs);
    this.#tryTimer.unref();
  }

  /** Forgets the running config in memory (reset wipes STATE from under it). */
  forget(): void {
    this.#cancelTry();
    this.#current = undefined;
  }

  /** Stops the rollback timer (shutdown); the rollback file makes the next boot roll back. */
  close(): void {
    if (this.#tryTimer) clearTimeout(this.#tryTimer);
    this.#tryTimer = undefined;
  }

  #cancelTry(): void {
    if (this.#tryTimer) clearTimeout(this.#tryTimer);
    this.#tryTimer = undefined;
  }

  #path(name: string): string {
    return join(this.#dir, name);
  }

  #write(name: string, text: string): void {
    writeFilesAtomically([{ path: this.#path(name), content: text, mode: 0o600 }]);
  }
}

/** The config as serializeConfig writes it, so that a diff shows changes, not formatting. */
function canonical(config: LoadedConfig): string {
  return serializeConfig(config.parsed.documents);
}
