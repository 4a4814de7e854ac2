import { libc } from "./libc.ts";
import { check, LinuxCallError } from "./syscall-error.ts";

/** ioctl request numbers of linux/vt.h and asm-generic/ioctls.h that the console uses. */
export const VT_IOCTLS = {
  /** Make a virtual terminal the one on screen (asynchronous). */
  VT_ACTIVATE: 0x5606,
  /** Wait until that virtual terminal is on screen. */
  VT_WAITACTIVE: 0x5607,
  /** TIOCLINUX: the console's sub-commands, the first byte of the argument says which. */
  TIOCLINUX: 0x541c,
} as const;

/** TIOCLINUX sub-command: print kernel messages on this virtual terminal, whichever is on screen. */
const TIOCL_SETKMSGREDIRECT = 11;
/** `syscall(2)` number of ioctl on x86_64, for the requests that take an integer, not a pointer. */
const SYS_IOCTL = 16;
/** MAX_NR_CONSOLES: virtual terminals are 1–63. */
const MAX_VT = 63;

function checkVt(vt: number): void {
  if (!Number.isInteger(vt) || vt < 1 || vt > MAX_VT) {
    throw new LinuxCallError(
      "invalid-argument",
      `Invalid virtual terminal: ${vt}`,
      `Virtual terminals are numbered 1 to ${MAX_VT}`,
    );
  }
}

/**
 * Puts virtual terminal `vt` on screen, as Alt+F`vt` would, and waits until it is (VT_ACTIVATE,
 * then VT_WAITACTIVE). `fd` is an open console device (`/dev/tty0` or any `/dev/ttyN`). Both take
 * the terminal's number as the argument itself, not a pointer, so they go through syscall(2).
 */
export function activateVirtualTerminal(fd: number, vt: number): void {
  checkVt(vt);
  const { syscall } = libc();
  for (const [name, request] of [
    ["VT_ACTIVATE", VT_IOCTLS.VT_ACTIVATE],
    ["VT_WAITACTIVE", VT_IOCTLS.VT_WAITACTIVE],
  ] as const) {
    check(syscall(SYS_IOCTL, "int", fd, "unsigned long", request, "long", vt), "ioctl", [fd, name, vt]);
  }
}

/**
 * Sends the kernel's console messages to virtual terminal `vt` whichever terminal is on screen
 * (TIOCLINUX TIOCL_SETKMSGREDIRECT, as `setterm --msgredirect`): without it a `console=tty0`
 * kernel prints over the dashboard on tty2. Needs CAP_SYS_ADMIN.
 */
export function redirectKernelMessages(fd: number, vt: number): void {
  checkVt(vt);
  const argument = Buffer.from([TIOCL_SETKMSGREDIRECT, vt]);
  check(libc().ioctl(fd, VT_IOCTLS.TIOCLINUX, argument), "ioctl", [fd, "TIOCLINUX", "SETKMSGREDIRECT", vt]);
}
