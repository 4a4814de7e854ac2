import { createRequire } from "node:module";
import type * as Koffi from "koffi";

/**
 * The C library functions Stele calls, bound once through koffi. Internal to src/pkg/linux: the
 * exported wrappers check results and turn errno into a SteleError.
 */
export interface Libc {
  readonly mount: (
    source: string | null,
    target: string,
    fstype: string | null,
    flags: number,
    data: string | null,
  ) => number;
  readonly umount2: (target: string, flags: number) => number;
  readonly chdir: (path: string) => number;
  readonly chroot: (path: string) => number;
  readonly sethostname: (name: string, length: number) => number;
  readonly reboot: (cmd: number) => number;
  readonly sync: () => void;
  readonly execve: (path: string, argv: Array<string | null>, envp: Array<string | null>) => number;
  readonly waitpid: (pid: number, status: number[], options: number) => number;
  /** `fcntl(fd, cmd, ...)`: variadic, so each extra argument is passed as a (type, value) pair. */
  readonly fcntl: (fd: number, cmd: number, ...typedArgs: unknown[]) => number;
  /** `syscall(nr, ...)`: variadic, as above. */
  readonly syscall: (nr: number, ...typedArgs: unknown[]) => number;
  readonly socket: (domain: number, type: number, protocol: number) => number;
  readonly close: (fd: number) => number;
  /** `ioctl(fd, request, arg)` with `arg` a buffer the kernel reads (and may write back). */
  readonly ioctl: (fd: number, request: number, arg: Buffer) => number;
  /**
   * `ioctl(fd, BLKPG, &arg)`: its argument holds a pointer to a second struct, which a flat buffer
   * cannot express, so koffi marshals both from one object.
   */
  readonly ioctlBlkpg: (fd: number, request: number, arg: BlkpgIoctlArg) => number;
  readonly strerror: (errnum: number) => string;
  /** errno as the last call through koffi left it. */
  readonly errno: () => number;
  /** errno names by number (`2` → `ENOENT`), from koffi's table. */
  readonly errnoNames: ReadonlyMap<number, string>;
}

/** `struct blkpg_ioctl_arg` with its `struct blkpg_partition` (linux/blkpg.h); offsets in bytes. */
export interface BlkpgIoctlArg {
  op: number;
  flags: number;
  datalen: number;
  data: { start: bigint; length: bigint; pno: number; devname: string; volname: string };
}

let bound: Libc | undefined;

/**
 * The bound C library, loaded at the first call: koffi and libc cost ≈ 30 ms and a native module,
 * which most importers of src/pkg/linux (the CLI, tests of parsers) never need. `createRequire`
 * rather than `import`, so the wrappers stay synchronous; in the bundle koffi is external and
 * resolves from the node_modules beside `stele.mjs`.
 */
export function libc(): Libc {
  if (bound) return bound;
  const require = createRequire(import.meta.url);
  const koffi = require("koffi") as typeof Koffi;
  const lib = koffi.load("libc.so.6");
  const errnoNames = new Map<number, string>();
  for (const [name, value] of Object.entries(koffi.os.errno)) {
    // Aliases share a number (EAGAIN/EWOULDBLOCK, EDEADLK/EDEADLOCK): keep the first, the usual one.
    if (!errnoNames.has(value)) errnoNames.set(value, name);
  }
  bound = {
    mount: lib.func(
      "int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)",
    ),
    umount2: lib.func("int umount2(const char *target, int flags)"),
    chdir: lib.func("int chdir(const char *path)"),
    chroot: lib.func("int chroot(const char *path)"),
    sethostname: lib.func("int sethostname(const char *name, size_t len)"),
    reboot: lib.func("int reboot(int cmd)"),
    sync: lib.func("void sync(void)"),
    execve: lib.func("int execve(const char *path, const char **argv, const char **envp)"),
    waitpid: lib.func("int waitpid(int pid, _Out_ int *status, int options)"),
    fcntl: lib.func("int fcntl(int fd, int cmd, ...)"),
    syscall: lib.func("long syscall(long number, ...)"),
    socket: lib.func("int socket(int domain, int type, int protocol)"),
    close: lib.func("int close(int fd)"),
    ioctl: lib.func("int ioctl(int fd, unsigned long request, void *arg)"),
    ioctlBlkpg: (() => {
      const partition = koffi.struct("stele_blkpg_partition", {
        start: "int64_t",
        length: "int64_t",
        pno: "int",
        devname: koffi.array("char", 64),
        volname: koffi.array("char", 64),
      });
      const arg = koffi.struct("stele_blkpg_ioctl_arg", {
        op: "int",
        flags: "int",
        datalen: "int",
        data: koffi.pointer(partition),
      });
      return lib.func("ioctl", "int", ["int", "unsigned long", koffi.pointer(arg)]) as Libc["ioctlBlkpg"];
    })(),
    strerror: lib.func("const char *strerror(int errnum)"),
    errno: () => koffi.errno(),
    errnoNames,
  };
  return bound;
}
