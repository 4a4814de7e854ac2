import { existsSync } from "node:fs";
import { SteleError } from "../../machinery/errors.ts";

/** Where Debian's `ovmf` package installs the 4 MiB OVMF build (code and variable template). */
export const OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd";
export const OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd";

/**
 * The OVMF firmware files a UEFI VM needs, checked before anything is made: without them QEMU
 * would fail with a pflash error that names neither the package nor the way around it.
 */
export function findOvmfFirmware(options: { code?: string; vars?: string } = {}): {
  code: string;
  vars: string;
} {
  const code = options.code ?? OVMF_CODE;
  const vars = options.vars ?? OVMF_VARS;
  const missing = [code, vars].filter((file) => !existsSync(file));
  if (missing.length > 0) {
    throw new SteleError(
      "failed-precondition",
      `UEFI firmware not found: ${missing.join(", ")}`,
      "install Debian's ovmf package (apt-get install ovmf), or pass --boot direct",
    );
  }
  return { code, vars };
}
