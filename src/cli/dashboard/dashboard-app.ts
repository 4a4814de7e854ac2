import { Box, Text, useApp, useInput, useStdin, useStdout } from "ink";
import { createElement as h, type ReactElement, useEffect, useState, useSyncExternalStore } from "react";
import { DashboardData, type DashboardDataOptions } from "./dashboard-data.ts";
import type { DashboardSource } from "./dashboard-source.ts";
import { fitText } from "./fit-text.ts";
import { HelpScreen } from "./help-screen.ts";
import { LogsScreen, logPageStart } from "./logs-screen.ts";
import { MonitorScreen } from "./monitor-screen.ts";
import { ServicesScreen } from "./services-screen.ts";
import { SummaryScreen } from "./summary-screen.ts";

/** The four screens, in the order of their keys (1–4, F1–F4). */
export const SCREENS = ["summary", "monitor", "services", "logs"] as const;
/** One screen of the dashboard. */
export type Screen = (typeof SCREENS)[number];

const TITLES: Record<Screen, string> = {
  summary: "Summary",
  monitor: "Monitor",
  services: "Services",
  logs: "Logs",
};
// F1–F4 as xterm (ESC O P…S) and the linux console / rxvt (ESC [ 11~…14~, ESC [[A…D) send them.
const FUNCTION_KEYS: readonly (readonly [RegExp, Screen])[] = [
  [/^\x1b(?:OP|\[11~|\[\[A)$/, "summary"],
  [/^\x1b(?:OQ|\[12~|\[\[B)$/, "monitor"],
  [/^\x1b(?:OR|\[13~|\[\[C)$/, "services"],
  [/^\x1b(?:OS|\[14~|\[\[D)$/, "logs"],
];
// Most needed first: a narrow terminal cuts the end, and quitting and help must stay visible.
const FOOTER = "q quit  ? help  1-4 screens  ←/→ node  ↑/↓ select  Enter log  PgUp/PgDn scroll  f follow";
// Header, tab line and footer, plus the title and error lines of the Logs screen.
const CHROME_LINES = 5;

/** Props of DashboardApp. */
export interface DashboardAppProps {
  source: DashboardSource;
  options?: DashboardDataOptions;
}

/**
 * The dashboard's root: a header naming the node and the screens, the current screen, and a footer
 * of the main keys. It owns the data layer: started on mount, closed (every stream cancelled) on
 * unmount, which `q` triggers through ink's exit.
 */
export function DashboardApp({ source, options }: DashboardAppProps): ReactElement {
  const { exit } = useApp();
  const { stdout } = useStdout();
  const { internal_eventEmitter: stdinEvents } = useStdin();
  const [data] = useState(() => new DashboardData(source, options));
  const [screen, setScreen] = useState<Screen>("summary");
  const [nodeIndex, setNodeIndex] = useState(0);
  const [help, setHelp] = useState(false);
  const [selected, setSelected] = useState<Record<string, number>>({});
  const [scrollTop, setScrollTop] = useState<number | undefined>(undefined);
  const [size, setSize] = useState(() => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 }));
  const [nowMs, setNowMs] = useState(() => Date.now());

  const nodes = source.nodes;
  const node = nodes[nodeIndex] ?? "";
  const view = useSyncExternalStore(data.subscribe, () => data.view(node));
  const width = Math.max(20, size.columns);
  const logHeight = Math.max(1, size.rows - CHROME_LINES);
  const services = view.services ?? [];
  const selectedIndex = Math.min(selected[node] ?? 0, Math.max(0, services.length - 1));

  useEffect(() => {
    data.start();
    return () => data.close();
  }, [data]);

  useEffect(() => {
    const onResize = () => setSize({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
    stdout.on("resize", onResize);
    const clock = setInterval(() => setNowMs(Date.now()), 1000);
    return () => {
      stdout.off("resize", onResize);
      clearInterval(clock);
    };
  }, [stdout]);

  // ink's useInput reports function keys with no name, so F1–F4 are read from the raw input.
  useEffect(() => {
    const onInput = (raw: string) => {
      const hit = FUNCTION_KEYS.find(([pattern]) => pattern.test(raw));
      if (hit) setScreen(hit[1]);
    };
    stdinEvents?.on("input", onInput);
    return () => {
      stdinEvents?.off("input", onInput);
    };
  }, [stdinEvents]);

  useInput((input, key) => {
    if (input === "q") return exit();
    if (input === "?") return setHelp((shown) => !shown);
    if (key.escape) return setHelp(false);
    const digit = Number(input);
    if (Number.isInteger(digit) && digit >= 1 && digit <= SCREENS.length) {
      setHelp(false);
      return setScreen(SCREENS[digit - 1] as Screen);
    }
    if (key.rightArrow || input === "]") return setNodeIndex((i) => (i + 1) % Math.max(1, nodes.length));
    if (key.leftArrow || input === "[")
      return setNodeIndex((i) => (i - 1 + nodes.length) % Math.max(1, nodes.length));
    if (screen === "services") {
      const select = (index: number) =>
        setSelected((all) => ({ ...all, [node]: Math.max(0, Math.min(index, services.length - 1)) }));
      if (key.upArrow) return select(selectedIndex - 1);
      if (key.downArrow) return select(selectedIndex + 1);
      const service = services[selectedIndex];
      if (key.return && service) {
        data.followLogs(node, service.id);
        setScrollTop(undefined);
        return setScreen("logs");
      }
    }
    if (screen === "logs") {
      const start = logPageStart(view.logLines.length, logHeight, scrollTop);
      if (key.pageUp) return setScrollTop(Math.max(0, start - logHeight));
      if (key.pageDown) return setScrollTop(logPageStart(view.logLines.length, logHeight, start + logHeight));
      if (input === "f") return setScrollTop((top) => (top === undefined ? start : undefined));
    }
  });

  const nodeLabel = nodes.length > 1 ? `node ${node} (${nodeIndex + 1}/${nodes.length})` : `node ${node}`;
  const tabs = SCREENS.map((s, i) => `${i + 1} ${TITLES[s]}`);
  return h(
    Box,
    { flexDirection: "column", width },
    h(
      Text,
      { bold: true, color: "cyan", wrap: "truncate" },
      fitText(`Stele dashboard · ${nodeLabel}`, width),
    ),
    h(
      Text,
      { wrap: "truncate" },
      ...SCREENS.map((s, i) => h(Text, { key: s, inverse: s === screen && !help }, ` ${tabs[i]} `)),
    ),
    help
      ? h(HelpScreen, { width })
      : screen === "summary"
        ? h(SummaryScreen, { view, width, nowMs })
        : screen === "monitor"
          ? h(MonitorScreen, { view, width })
          : screen === "services"
            ? h(ServicesScreen, { view, width, selected: selectedIndex })
            : h(LogsScreen, { view, width, height: logHeight, scrollTop }),
    h(Text, { dimColor: true, wrap: "truncate" }, fitText(FOOTER, width)),
  );
}
