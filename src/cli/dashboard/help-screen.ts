import { Box, Text } from "ink";
import { createElement as h, type ReactElement } from "react";
import { fitText } from "./fit-text.ts";

/** Every key of the dashboard and what it does, as the help screen lists them. */
export const KEY_HELP: readonly (readonly [string, string])[] = [
  ["F1 / 1", "Summary: identity, version, stage and readiness"],
  ["F2 / 2", "Monitor: CPU, memory, load, network and disk"],
  ["F3 / 3", "Services: state and health of each service"],
  ["F4 / 4", "Logs of the service selected on Services"],
  ["↑ / ↓", "Select a service"],
  ["Enter", "Open the selected service's log"],
  ["PgUp / PgDn", "Scroll the log"],
  ["f", "Follow the log's end, or stop following"],
  ["← / → or [ / ]", "Previous or next node"],
  ["?", "Show or hide this help"],
  ["q / Ctrl-C", "Quit"],
];

/** The key help (`?`): what every key does. */
export function HelpScreen({ width }: { width: number }): ReactElement {
  return h(
    Box,
    { flexDirection: "column" },
    h(Text, { bold: true }, "Keys"),
    ...KEY_HELP.map(([keys, what]) =>
      h(Text, { key: keys, wrap: "truncate" }, fitText(keys, 18), fitText(what, Math.max(0, width - 18))),
    ),
  );
}
