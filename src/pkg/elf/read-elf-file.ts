import { open, readFile } from "node:fs/promises";
import { ElfFormatError, type ElfInfo, isElf, parseElf } from "./parse-elf.ts";

/**
 * Reads and parses one file: its ElfInfo, or undefined when it is not ELF. The whole file is read
 * because the dynamic string table can sit anywhere in it; the largest file an image holds (Node,
 * ~120 MB) is read in well under a second. A parse error names the file.
 */
export async function readElfFile(path: string): Promise<ElfInfo | undefined> {
  const bytes = await readFile(path);
  try {
    return parseElf(bytes);
  } catch (error) {
    if (error instanceof ElfFormatError) throw new ElfFormatError(`${path}: ${error.message}`, error.hint);
    throw error;
  }
}

/** Whether a file starts with the ELF magic number, reading only its first four bytes. */
export async function isElfFile(path: string): Promise<boolean> {
  const handle = await open(path, "r");
  try {
    const head = new Uint8Array(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    return bytesRead === 4 && isElf(head);
  } finally {
    await handle.close();
  }
}
