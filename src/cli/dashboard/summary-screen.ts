import { Box, Text } from "ink";
import { createElement as h, type ReactElement } from "react";
import type { NodeView } from "./dashboard-data.ts";
import { fitText } from "./fit-text.ts";
import { formatUptime } from "./format-units.ts";
import { MaintenanceScreen } from "./maintenance-screen.ts";

/** Props of SummaryScreen. */
export interface SummaryScreenProps {
  view: NodeView;
  width: number;
  /** The time uptime is measured to, in ms since the epoch. */
  nowMs: number;
}

/** The Summary screen: who the node is, which release it runs, where it is in its life and why not ready. */
export function SummaryScreen({ view, width, nowMs }: SummaryScreenProps): ReactElement {
  const s = view.summary;
  const rows: [string, string][] = s
    ? [
        ["Hostname", s.hostname || "(unknown)"],
        ["Version", s.tag || "(unknown)"],
        ["Platform", s.platform || "(unknown)"],
        ["Stage", s.stage || "(unknown)"],
        ["Ready", s.ready ? "yes" : "no"],
        ...s.unmetConditions.map((c): [string, string] => ["  waiting", `${c.name}: ${c.reason}`]),
        ["Addresses", s.addresses.join(", ") || "(none)"],
        ["Members", String(s.members)],
        ["Uptime", s.bootTime ? formatUptime(nowMs - s.bootTime.getTime()) : "(unknown)"],
      ]
    : [];
  return h(
    Box,
    { flexDirection: "column" },
    view.summaryError
      ? h(Text, { color: "red", wrap: "truncate" }, fitText(`Error: ${view.summaryError}`, width))
      : null,
    s === undefined && !view.summaryError ? h(Text, { dimColor: true }, "Loading…") : null,
    s?.stage === "maintenance" ? h(MaintenanceScreen, { summary: s, width }) : null,
    ...rows.map(([name, value], index) =>
      h(
        Text,
        { key: `${index}`, wrap: "truncate" },
        h(Text, { bold: true }, fitText(name, 12)),
        fitText(value, Math.max(0, width - 12)),
      ),
    ),
  );
}
