/**
 * The kernel self-protection (KSPP) sysctls a metal node sets at every boot, the set Talos applies:
 * no line-discipline autoloading or TIOCSTI injection, protected links/FIFOs/regular files in sticky
 * directories, no core dumps of setuid programs, kernel pointers and dmesg hidden, perf and BPF
 * closed to unprivileged users, full ASLR, ptrace only by CAP_SYS_PTRACE (Kubernetes user namespaces
 * do not need less), a hardened BPF JIT and no unprivileged userfaultfd. The config's
 * `machine.sysctls` may override any of them.
 */
export const KSPP_SYSCTLS: Readonly<Record<string, string>> = {
  "dev.tty.ldisc_autoload": "0",
  "dev.tty.legacy_tiocsti": "0",
  "fs.protected_symlinks": "1",
  "fs.protected_hardlinks": "1",
  "fs.protected_fifos": "2",
  "fs.protected_regular": "2",
  "fs.suid_dumpable": "0",
  "kernel.kptr_restrict": "2",
  "kernel.dmesg_restrict": "1",
  "kernel.perf_event_paranoid": "3",
  "kernel.randomize_va_space": "2",
  "kernel.yama.ptrace_scope": "2",
  "kernel.unprivileged_bpf_disabled": "1",
  "net.core.bpf_jit_harden": "2",
  "vm.unprivileged_userfaultfd": "0",
};

/**
 * The sysctl that locks module loading until the next boot: written last, once boot finished, since
 * the kernel refuses every module (and the value 0) after it.
 */
export const MODULES_DISABLED = "kernel.modules_disabled";

/**
 * The boot parameters of the KSPP set: no slab merging (heap overflows stay in their cache), page
 * table isolation forced on, and memory zeroed on allocation. The QEMU runner and the image's
 * command line add them; the kernel cannot get them later, so they are only reported.
 */
export const HARDENING_BOOT_PARAMS: readonly string[] = ["slab_nomerge", "pti=on", "init_on_alloc=1"];
