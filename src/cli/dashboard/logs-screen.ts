import { Box, Text } from "ink";
import { createElement as h, type ReactElement } from "react";
import type { NodeView } from "./dashboard-data.ts";
import { fitText } from "./fit-text.ts";

/** Props of LogsScreen. */
export interface LogsScreenProps {
  view: NodeView;
  width: number;
  /** How many log lines fit. */
  height: number;
  /** Index of the first line shown; undefined follows the end. */
  scrollTop: number | undefined;
}

/**
 * Which lines a log page shows: the last `height` when following, else from `scrollTop`, kept
 * inside the log so scrolling past either end stops there.
 */
export function logPageStart(lineCount: number, height: number, scrollTop: number | undefined): number {
  const last = Math.max(0, lineCount - height);
  return scrollTop === undefined ? last : Math.min(Math.max(0, scrollTop), last);
}

/** The Logs screen: the followed service's log, one terminal line per log line, cut to the width. */
export function LogsScreen({ view, width, height, scrollTop }: LogsScreenProps): ReactElement {
  if (view.logService === undefined)
    return h(
      Text,
      { dimColor: true, wrap: "truncate" },
      fitText("No service selected: choose one on the Services screen (3) and press Enter", width),
    );
  const start = logPageStart(view.logLines.length, height, scrollTop);
  const shown = view.logLines.slice(start, start + height);
  const state =
    scrollTop === undefined ? "following" : `paused at line ${start + 1} of ${view.logLines.length}`;
  return h(
    Box,
    { flexDirection: "column" },
    h(Text, { bold: true, wrap: "truncate" }, fitText(`Log of ${view.logService} (${state})`, width)),
    view.logError
      ? h(Text, { color: "red", wrap: "truncate" }, fitText(`Error: ${view.logError}`, width))
      : null,
    ...shown.map((text, index) =>
      h(Text, { key: `${start + index}`, wrap: "truncate" }, fitText(text, width)),
    ),
  );
}
