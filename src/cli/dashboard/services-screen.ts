import { Box, Text } from "ink";
import { createElement as h, type ReactElement } from "react";
import type { NodeView } from "./dashboard-data.ts";
import { fitText } from "./fit-text.ts";

const ID = 18;
const STATE = 12;
const HEALTH = 8;

/** Props of ServicesScreen. */
export interface ServicesScreenProps {
  view: NodeView;
  width: number;
  /** Index of the highlighted row. */
  selected: number;
}

/** The Services screen: one row per service with its state, health and last event; the selected row inverted. */
export function ServicesScreen({ view, width, selected }: ServicesScreenProps): ReactElement {
  const rest = Math.max(0, width - ID - STATE - HEALTH);
  const line = (id: string, state: string, health: string, message: string) =>
    fitText(id, ID) + fitText(state, STATE) + fitText(health, HEALTH) + fitText(message, rest);
  const services = view.services ?? [];
  return h(
    Box,
    { flexDirection: "column" },
    view.servicesError
      ? h(Text, { color: "red", wrap: "truncate" }, fitText(`Error: ${view.servicesError}`, width))
      : null,
    view.services === undefined && !view.servicesError ? h(Text, { dimColor: true }, "Loading…") : null,
    h(Text, { bold: true, wrap: "truncate" }, line("SERVICE", "STATE", "HEALTH", "LAST EVENT")),
    ...services.map((service, index) =>
      h(
        Text,
        {
          key: service.id,
          wrap: "truncate",
          inverse: index === selected,
          ...(service.health === "fail" || service.state === "failed" ? { color: "red" } : {}),
        },
        line(service.id, service.state, service.health, service.message),
      ),
    ),
  );
}
