import { Box, Text } from "ink";
import { createElement as h, type ReactElement } from "react";
import type { NodeSummary } from "./dashboard-source.ts";

/** Props of MaintenanceScreen. */
export interface MaintenanceScreenProps {
  summary: NodeSummary;
  width: number;
}

/**
 * The exact command that gives this node its config, for the operator to copy from the console:
 * the node's first address (without its prefix length) and the fingerprint to pin; placeholders
 * say what is still missing.
 */
export function applyConfigCommand(summary: Pick<NodeSummary, "addresses" | "apiFingerprint">): string {
  const address = nodeAddresses(summary.addresses)[0] ?? "<node address>";
  const fingerprint = summary.apiFingerprint ?? "<fingerprint>";
  return `stelectl apply-config --insecure --nodes ${address} --cert-fingerprint ${fingerprint} --file <config.yaml>`;
}

/** The addresses a user can dial: without the prefix length, loopback and link-local left out. */
function nodeAddresses(addresses: readonly string[]): string[] {
  return addresses
    .map((address) => address.replace(/\/\d+$/, ""))
    .filter((address) => !/^(127\.|::1$|fe80:|169\.254\.)/i.test(address));
}

/**
 * A SHA-256 fingerprint is 95 characters, more than an 80-column console holds beside its label:
 * split between two bytes into two lines of 16 bytes, so no pair of hex digits is cut.
 */
function fingerprintLines(fingerprint: string | undefined): string {
  if (fingerprint === undefined) return "(waiting for apid to print it)";
  const bytes = fingerprint.split(":");
  if (bytes.length <= 16) return fingerprint;
  return `${bytes.slice(0, 16).join(":")}:\n${bytes.slice(16).join(":")}`;
}

/**
 * What a node in maintenance mode (no config yet) shows on its console: that it waits for a config,
 * where to reach it, the fingerprint of the certificate its API serves (fresh at every start of
 * apid, so only the console can vouch for it), and the command that applies a config, whole.
 */
export function MaintenanceScreen({ summary, width }: MaintenanceScreenProps): ReactElement {
  const addresses = nodeAddresses(summary.addresses);
  const command = applyConfigCommand(summary);
  // Wrapped, not cut: a fingerprint (95 characters) and the command must be readable whole on an
  // 80-column console. The border takes two columns.
  const inner = Math.max(20, width - 2);
  const row = (name: string, value: string, color?: string) =>
    h(
      Box,
      { key: name, width: inner },
      h(Box, { width: 13, flexShrink: 0 }, h(Text, { bold: true }, name)),
      h(Text, { wrap: "wrap", ...(color ? { color } : {}) }, value),
    );
  return h(
    Box,
    { flexDirection: "column", borderStyle: "single", borderColor: "yellow", width },
    h(Text, { bold: true, color: "yellow" }, "Maintenance mode: this node waits for a machine configuration"),
    row("Addresses", addresses.join(", ") || "(none yet)"),
    row("Fingerprint", fingerprintLines(summary.apiFingerprint), "green"),
    h(Text, { key: "apply", bold: true }, "Apply a config from your machine with:"),
    h(Text, { key: "command", wrap: "wrap" }, command),
  );
}
