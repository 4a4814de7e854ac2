/**
 * The floor of a VM boot: the smallest init a kernel can start. A static x86-64 ELF of ≈ 200 bytes,
 * assembled here by hand (no compiler or libc on the path, and nothing the node image contains), that
 * writes a marker line to its stdout (the console) and powers the machine off with reboot(2). Booting
 * the node's own kernel with an initramfs holding only this `/init` measures what the firmware and the
 * kernel cost by themselves, so a node's boot time is read as a ratio to it.
 */
import { writeNewc } from "../src/pkg/cpio/index.ts";

/** What the init prints; a benchmark waits for it on the serial console. */
export const MARKER = "stele-bench: marker init reached";

/** Where the ELF loads: the usual base of a non-PIE x86-64 executable. */
const BASE = 0x400000;
const ELF_HEADER_SIZE = 64;
const PROGRAM_HEADER_SIZE = 56;

/** The machine code: write(1, message, length); reboot(magic1, magic2, POWER_OFF); loop. */
function code(messageAddress: number, length: number): Buffer {
  const bytes: number[] = [];
  const u32 = (value: number) => [
    value & 0xff,
    (value >>> 8) & 0xff,
    (value >>> 16) & 0xff,
    (value >>> 24) & 0xff,
  ];
  bytes.push(0xb8, ...u32(1)); // mov eax, 1 (write)
  bytes.push(0xbf, ...u32(1)); // mov edi, 1 (stdout: the kernel opened /dev/console as 0, 1, 2)
  bytes.push(0xbe, ...u32(messageAddress)); // mov esi, message
  bytes.push(0xba, ...u32(length)); // mov edx, length
  bytes.push(0x0f, 0x05); // syscall
  bytes.push(0xb8, ...u32(169)); // mov eax, 169 (reboot)
  bytes.push(0xbf, ...u32(0xfee1dead)); // mov edi, LINUX_REBOOT_MAGIC1
  bytes.push(0xbe, ...u32(0x28121969)); // mov esi, LINUX_REBOOT_MAGIC2
  bytes.push(0xba, ...u32(0x4321fedc)); // mov edx, LINUX_REBOOT_CMD_POWER_OFF
  bytes.push(0x0f, 0x05); // syscall
  // PID 1 must never return: if reboot(2) failed, spin (the benchmark kills QEMU).
  bytes.push(0xeb, 0xfe); // jmp .
  return Buffer.from(bytes);
}

/** The static ELF executable of the marker init. */
export function markerInitElf(): Buffer {
  const message = Buffer.from(`\n${MARKER}\n`);
  const codeOffset = ELF_HEADER_SIZE + PROGRAM_HEADER_SIZE;
  const codeLength = code(0, 0).length;
  const messageOffset = codeOffset + codeLength;
  const text = code(BASE + messageOffset, message.length);
  const fileSize = messageOffset + message.length;

  const header = Buffer.alloc(ELF_HEADER_SIZE);
  header.write("\x7fELF", 0, "latin1");
  header[4] = 2; // ELFCLASS64
  header[5] = 1; // little-endian
  header[6] = 1; // EV_CURRENT
  header.writeUInt16LE(2, 16); // ET_EXEC
  header.writeUInt16LE(0x3e, 18); // EM_X86_64
  header.writeUInt32LE(1, 20); // e_version
  header.writeBigUInt64LE(BigInt(BASE + codeOffset), 24); // e_entry
  header.writeBigUInt64LE(BigInt(ELF_HEADER_SIZE), 32); // e_phoff
  header.writeUInt16LE(ELF_HEADER_SIZE, 52); // e_ehsize
  header.writeUInt16LE(PROGRAM_HEADER_SIZE, 54); // e_phentsize
  header.writeUInt16LE(1, 56); // e_phnum

  const program = Buffer.alloc(PROGRAM_HEADER_SIZE);
  program.writeUInt32LE(1, 0); // PT_LOAD
  program.writeUInt32LE(5, 4); // PF_R | PF_X
  program.writeBigUInt64LE(0n, 8); // p_offset: the whole file
  program.writeBigUInt64LE(BigInt(BASE), 16); // p_vaddr
  program.writeBigUInt64LE(BigInt(BASE), 24); // p_paddr
  program.writeBigUInt64LE(BigInt(fileSize), 32); // p_filesz
  program.writeBigUInt64LE(BigInt(fileSize), 40); // p_memsz
  program.writeBigUInt64LE(0x1000n, 48); // p_align

  return Buffer.concat([header, program, text, message]);
}

/** An uncompressed initramfs (newc cpio) with the marker init as `/init` and `/dev/console`. */
export function markerInitramfs(): Buffer {
  return writeNewc([
    { type: "directory", path: "dev", mode: 0o755 },
    { type: "char-device", path: "dev/console", mode: 0o600, major: 5, minor: 1 },
    { type: "file", path: "init", mode: 0o755, content: markerInitElf() },
  ]);
}
