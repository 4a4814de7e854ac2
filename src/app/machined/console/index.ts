/**
 * The node's console: boot progress lines, machined's plain-text screen on a virtual terminal of a
 * metal node with the dashboard on a key press, and machined's local read-only socket that the
 * dashboard reads through (served as `os:reader` only).
 */
export { apiFingerprintFromLine } from "./api-fingerprint.ts";
export { type BootProgressSource, reportBootProgress } from "./boot-progress.ts";
export { ConsoleRunner, type ConsoleRunnerOptions } from "./console-runner.ts";
export {
  applyConfigCommand,
  type ConsoleView,
  dialableAddresses,
  INITIAL_CONSOLE_VIEW,
  PRESS_FOR_DASHBOARD,
  renderConsoleScreen,
} from "./console-screen.ts";
export {
  CONSOLE_DISABLE_PARAMETER,
  CONSOLE_NODE_FLAGS,
  CONSOLE_SERVICE_ID,
  CONSOLE_VT,
  type ConsoleServiceOptions,
  consoleService,
  KERNEL_VT,
} from "./console-service.ts";
export { ConsoleStatus, type ConsoleStatusSource, type ConsoleViewSource } from "./console-status.ts";
export { LOCAL_READER_ROLE, localReaderRefusal, type ReaderOnlyOptions, readerOnly } from "./reader-only.ts";
export { READER_SOCKET_NAME, ReaderServer } from "./reader-server.ts";
export { type ConsoleTerminal, LINUX_TTY_CALLS, type TtyCalls } from "./tty-calls.ts";
export { withConsoleService } from "./with-console-service.ts";
