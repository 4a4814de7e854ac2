import type { MachineStage } from "../resources/machine-status.ts";

/** What machined's own console screen shows: the few facts someone at the node needs. */
export interface ConsoleView {
  /** The node's name (`hostname[.domain]`); empty until machined knows it. */
  readonly hostname: string;
  readonly stage: MachineStage;
  readonly ready: boolean;
  /** The unmet conditions' names, while running but not ready. */
  readonly waitingFor: readonly string[];
  /** The NodeAddresses resource's `address/prefix` list. */
  readonly addresses: readonly string[];
  /** apid's maintenance-mode certificate fingerprint, from its log; undefined until it says it. */
  readonly apiFingerprint: string | undefined;
}

/** The view before machined has published anything. */
export const INITIAL_CONSOLE_VIEW: ConsoleView = {
  hostname: "",
  stage: "booting",
  ready: false,
  waitingFor: [],
  addresses: [],
  apiFingerprint: undefined,
};

/** The line that tells someone at the console how to get the dashboard. */
export const PRESS_FOR_DASHBOARD = "Press Enter for the dashboard";

/** The addresses a user can dial: without the prefix length, loopback and link-local left out. */
export function dialableAddresses(addresses: readonly string[]): string[] {
  return addresses
    .map((address) => address.replace(/\/\d+$/, ""))
    .filter((address) => !/^(127\.|::1$|fe80:|169\.254\.)/i.test(address));
}

/**
 * The exact command that gives this node its config, as the dashboard's maintenance screen prints
 * it: the node's first dialable address and the fingerprint to pin; placeholders say what is missing.
 */
export function applyConfigCommand(view: Pick<ConsoleView, "addresses" | "apiFingerprint">): string {
  const address = dialableAddresses(view.addresses)[0] ?? "<node address>";
  const fingerprint = view.apiFingerprint ?? "<fingerprint>";
  return `stelectl apply-config --insecure --nodes ${address} --cert-fingerprint ${fingerprint} --file <config.yaml>`;
}

/**
 * machined's plain-text console screen (lines joined by `\n`, no escape codes): name, stage,
 * addresses, and in maintenance mode the API certificate fingerprint and the command that applies
 * a config, then how to get the dashboard. Plain text because it is drawn by PID 1 itself, on a
 * screen nobody may ever look at (a VM run with -nographic): it must cost nothing. `note` is a line
 * about the last dashboard run (it failed to start, or crashed).
 */
export function renderConsoleScreen(view: ConsoleView, options: { note?: string } = {}): string {
  const row = (name: string, value: string) => `${`${name}:`.padEnd(13)}${value}`;
  const lines = [`Stele node ${view.hostname || "(name not known yet)"}`, ""];
  lines.push(row("Stage", stageText(view)));
  lines.push(row("Addresses", dialableAddresses(view.addresses).join(", ") || "(none yet)"));
  if (view.stage === "maintenance") {
    lines.push("", "Maintenance mode: this node waits for a machine configuration.");
    const bytes = view.apiFingerprint?.split(":") ?? [];
    // 95 characters do not fit beside the label on 80 columns: 16 bytes a line, no pair cut.
    lines.push(
      row(
        "Fingerprint",
        bytes.length === 0
          ? "(waiting for apid to print it)"
          : `${bytes.slice(0, 16).join(":")}${bytes.length > 16 ? ":" : ""}`,
      ),
    );
    if (bytes.length > 16) lines.push(`${" ".repeat(13)}${bytes.slice(16).join(":")}`);
    lines.push("Apply a config from your machine with:", applyConfigCommand(view));
  }
  if (options.note) lines.push("", options.note);
  lines.push("", PRESS_FOR_DASHBOARD);
  return lines.join("\n");
}

function stageText(view: ConsoleView): string {
  if (view.stage !== "running") return view.stage;
  if (view.ready) return "ready";
  return view.waitingFor.length > 0 ? `running, waiting for ${view.waitingFor.join(", ")}` : "running";
}
