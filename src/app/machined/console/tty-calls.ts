import { type ChildProcess, spawn as nodeSpawn, type SpawnOptions } from "node:child_process";
import { closeSync, constants, openSync, writeSync } from "node:fs";
import { ReadStream } from "node:tty";
import { activateVirtualTerminal, redirectKernelMessages } from "../../../pkg/linux/index.ts";

/**
 * machined's own use of a terminal between dashboard runs: it draws its screen and waits for a key.
 * Owns the fd it was made from.
 */
export interface ConsoleTerminal {
  /** Writes to the screen; a screen that cannot take it now loses the text (the next change redraws). */
  write(text: string): void;
  /** Called with every key (or burst of keys) typed. */
  onKey(listener: () => void): void;
  /** Called once if the terminal can no longer be read. */
  onError(listener: (error: Error) => void): void;
  /** Stops reading, gives the terminal back in its normal mode, and closes it. */
  close(): void;
}

/** The calls the console makes on the machine; tests pass fakes, so no real terminal is touched. */
export interface TtyCalls {
  /** Opens the terminal read-write without making it machined's controlling terminal; returns the fd. */
  open(path: string): number;
  close(fd: number): void;
  /** Puts virtual terminal `vt` on screen and keeps the kernel's messages on `kernelVt`. */
  show(fd: number, options: { vt: number; kernelVt: number }): void;
  /** machined's screen on an opened terminal (which it now owns). */
  terminal(fd: number): ConsoleTerminal;
  spawn(command: string, args: readonly string[], options: SpawnOptions): ChildProcess;
}

/**
 * The real calls: open(2) O_RDWR|O_NOCTTY, VT_ACTIVATE and TIOCL_SETKMSGREDIRECT (through the
 * src/pkg/linux door), a libuv tty reader in raw mode for the keys, child_process.spawn.
 */
export const LINUX_TTY_CALLS: TtyCalls = {
  open: (path) => openSync(path, constants.O_RDWR | constants.O_NOCTTY),
  close: (fd) => closeSync(fd),
  show: (fd, { vt, kernelVt }) => {
    redirectKernelMessages(fd, kernelVt);
    activateVirtualTerminal(fd, vt);
  },
  terminal: linuxTerminal,
  spawn: (command, args, options) => nodeSpawn(command, [...args], options),
};

/**
 * A terminal read through libuv: it reopens the tty (a file description of its own, made
 * non-blocking) and reads it on the event loop, so PID 1 never blocks on a keyboard; `fd` is
 * pointed at that description too, and written with short writes the console takes at once. Raw
 * mode makes any key count and echoes nothing; if the mode cannot be set, Enter still works.
 */
function linuxTerminal(fd: number): ConsoleTerminal {
  let input: ReadStream;
  try {
    input = new ReadStream(fd);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  try {
    input.setRawMode(true);
  } catch {
    // canonical mode: the screen asks for Enter anyway
  }
  let closed = false;
  return {
    write: (text) => {
      try {
        writeSync(fd, text);
      } catch {
        // EAGAIN (output stopped) or the terminal went away: the screen is redrawn at the next change
      }
    },
    onKey: (listener) => void input.on("data", () => listener()),
    onError: (listener) => void input.once("error", listener),
    close: () => {
      if (closed) return;
      closed = true;
      try {
        input.setRawMode(false);
      } catch {
        // the dashboard sets its own mode
      }
      input.destroy();
      // libuv reads a copy of the fd and closes that one: this one is ours to close.
      closeSync(fd);
    },
  };
}
