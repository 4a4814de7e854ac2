import { render } from "ink";
import { createElement as h } from "react";
import type { NodeSession } from "../client/node-session.ts";
import { DashboardApp } from "./dashboard-app.ts";
import { grpcDashboardSource } from "./grpc-dashboard-source.ts";

export { localNodeSession } from "./local-node-session.ts";

// The alternate screen keeps the operator's scrollback as it was once the dashboard quits.
const ENTER_ALTERNATE_SCREEN = "\x1b[?1049h";
const LEAVE_ALTERNATE_SCREEN = "\x1b[?1049l";

/**
 * Shows the dashboard of a session's nodes on the terminal until the operator quits (`q`, Ctrl-C):
 * ink restores the terminal's modes, the data layer cancels every stream on unmount, and the
 * alternate screen is left so the shell's screen comes back as it was.
 */
export async function runDashboard(session: NodeSession, options: { intervalMs: number }): Promise<void> {
  process.stdout.write(ENTER_ALTERNATE_SCREEN);
  try {
    const app = render(h(DashboardApp, { source: grpcDashboardSource(session), options }), {
      exitOnCtrlC: true,
    });
    await app.waitUntilExit();
  } finally {
    process.stdout.write(LEAVE_ALTERNATE_SCREEN);
  }
}
