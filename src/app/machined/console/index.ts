/**
 * The node's console: boot progress lines, the dashboard on a virtual terminal of a metal node, and
 * machined's local read-only socket that the dashboard reads through (served as `os:reader` only).
 */
export { type BootProgressSource, reportBootProgress } from "./boot-progress.ts";
export {
  CONSOLE_DISABLE_PARAMETER,
  CONSOLE_NODE_FLAGS,
  CONSOLE_SERVICE_ID,
  CONSOLE_VT,
  type ConsoleServiceOptions,
  consoleService,
  KERNEL_VT,
} from "./console-service.ts";
export { LOCAL_READER_ROLE, localReaderRefusal, type ReaderOnlyOptions, readerOnly } from "./reader-only.ts";
export { READER_SOCKET_NAME, ReaderServer } from "./reader-server.ts";
export { LINUX_TTY_CALLS, type TtyCalls, TtyRunner, type TtyRunnerOptions } from "./tty-runner.ts";
export { withConsoleService } from "./with-console-service.ts";
