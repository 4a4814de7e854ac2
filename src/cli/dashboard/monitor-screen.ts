import { Box, Text } from "ink";
import { createElement as h, type ReactElement } from "react";
import type { NodeView } from "./dashboard-data.ts";
import { fitText } from "./fit-text.ts";
import { formatBytes, formatRate } from "./format-units.ts";
import { sparkline } from "./sparkline.ts";
import type { StatsPoint } from "./stats-point.ts";

const LABEL = 11;
const VALUE = 24;

/** Props of MonitorScreen. */
export interface MonitorScreenProps {
  view: NodeView;
  width: number;
}

/**
 * The Monitor screen: CPU, memory, load, network and disk rates, each with its value now and a
 * graph of the last minute that takes the width left, so a wide terminal shows more history.
 */
export function MonitorScreen({ view, width }: MonitorScreenProps): ReactElement {
  const points = view.points;
  const last = points.at(-1);
  const graphWidth = Math.max(0, width - LABEL - VALUE - 1);
  const row = (label: string, value: string, values?: readonly number[], max?: number) =>
    h(
      Text,
      { key: label, wrap: "truncate" },
      h(Text, { bold: true }, fitText(label, LABEL)),
      fitText(value, VALUE),
      values && graphWidth > 0
        ? h(
            Text,
            { color: "green" },
            ` ${sparkline(values, { width: graphWidth, ...(max === undefined ? {} : { max }) })}`,
          )
        : "",
    );
  const series = (pick: (point: StatsPoint) => number) => points.map(pick);
  return h(
    Box,
    { flexDirection: "column" },
    view.statsError
      ? h(Text, { color: "red", wrap: "truncate" }, fitText(`Error: ${view.statsError}`, width))
      : null,
    last === undefined
      ? h(Text, { dimColor: true }, "Waiting for samples…")
      : [
          row(
            "CPU",
            `${last.cpuPercent.toFixed(1)}%`,
            series((p) => p.cpuPercent),
            100,
          ),
          row(
            "Memory",
            `${formatBytes(last.memUsed)} / ${formatBytes(last.memTotal)}`,
            series((p) => p.memUsed),
            last.memTotal,
          ),
          row(
            "Load",
            `${last.load1.toFixed(2)} ${last.load5.toFixed(2)} ${last.load15.toFixed(2)}`,
            series((p) => p.load1),
          ),
          row(
            "Net rx",
            formatRate(last.rxRate),
            series((p) => p.rxRate),
          ),
          row(
            "Net tx",
            formatRate(last.txRate),
            series((p) => p.txRate),
          ),
          row(
            "Disk read",
            formatRate(last.readRate),
            series((p) => p.readRate),
          ),
          row(
            "Disk write",
            formatRate(last.writeRate),
            series((p) => p.writeRate),
          ),
          row("Processes", String(last.processCount)),
        ],
  );
}
