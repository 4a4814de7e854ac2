import { addPeSections, IMAGE_SCN_CNT_CODE, IMAGE_SCN_MEM_READ, readPeHeaders } from "../../pkg/pe/index.ts";

/** What a unified kernel image is made of. */
export interface UkiParts {
  /** systemd-stub (`linuxx64.efi.stub`): the EFI program that boots the kernel in `.linux`. */
  stub: Uint8Array;
  /** The kernel (a PE32+ EFI-stub bzImage). */
  kernel: Uint8Array;
  /** The initramfs. */
  initrd: Uint8Array;
  /** The os-release text (`.osrel`): boot menus and `bootctl` show the name and version from it. */
  osRelease: string;
  /** The kernel command line (`.cmdline`). */
  cmdline: string;
  /** The kernel release (`.uname`, `6.12.117+deb13-cloud-amd64`). */
  uname: string;
}

/**
 * A unified kernel image: systemd-stub with `.osrel`, `.cmdline`, `.uname`, `.initrd` and `.linux`
 * appended, in the order ukify uses (the large sections last). As ukify does, `.linux` is marked as
 * code and its virtual size is the kernel's own SizeOfImage when that is larger than the file, so
 * the kernel has room for its uninitialised data once loaded. The stub measures the sections into
 * the TPM and boots the kernel with the embedded command line and initramfs. Same parts, same bytes.
 */
export function buildUki(parts: UkiParts): Buffer {
  const kernelImageSize = readPeHeaders(parts.kernel).sizeOfImage;
  return addPeSections(parts.stub, [
    { name: ".osrel", data: Buffer.from(parts.osRelease, "utf8") },
    { name: ".cmdline", data: Buffer.from(parts.cmdline, "utf8") },
    { name: ".uname", data: Buffer.from(parts.uname, "utf8") },
    { name: ".initrd", data: parts.initrd },
    {
      name: ".linux",
      data: parts.kernel,
      virtualSize: Math.max(kernelImageSize, parts.kernel.length),
      characteristics: IMAGE_SCN_CNT_CODE | IMAGE_SCN_MEM_READ,
    },
  ]);
}
