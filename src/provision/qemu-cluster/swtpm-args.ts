/** Where one node's software TPM keeps its state and listens. */
export interface SwtpmSpec {
  /** The TPM's state directory (absolute: swtpm resolves relative paths against its own cwd). */
  stateDir: string;
  /** The control socket QEMU connects to (absolute). */
  socket: string;
  pidFile: string;
  logFile: string;
}

/**
 * The `swtpm socket` arguments of a node's TPM 2.0: state in the node dir (so it lives and dies
 * with the node), control over a unix socket that QEMU's `-chardev socket` opens, and
 * `--terminate` so swtpm ends when QEMU closes the connection, rather than outliving its VM.
 */
export function swtpmArgs(spec: SwtpmSpec): string[] {
  return [
    "socket",
    "--tpm2",
    ...["--tpmstate", `dir=${spec.stateDir}`],
    ...["--ctrl", `type=unixio,path=${spec.socket}`],
    ...["--pid", `file=${spec.pidFile}`],
    ...["--log", `file=${spec.logFile},level=1`],
    "--terminate",
  ];
}
