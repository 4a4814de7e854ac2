import { PatchFault } from "./patch-error.ts";

const POINTER_HINT =
  "A JSON pointer is empty (the whole document) or starts with /, e.g. /network/hostname; " +
  "write ~ as ~0 and / as ~1 inside a key";

/**
 * Splits an RFC 6901 JSON pointer into its reference tokens, unescaped. `~1` is read before `~0`
 * as the RFC requires, so `/~01` names the key `~1`, not `/`. A `~` followed by anything but 0 or 1
 * is an error rather than a literal, because it is almost always a typo for an escape.
 */
export function parseJsonPointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) {
    throw new PatchFault(
      `bad pointer ${JSON.stringify(pointer)}: it must be empty or start with /`,
      POINTER_HINT,
    );
  }
  return pointer
    .slice(1)
    .split("/")
    .map((token) => {
      if (/~(?![01])/.test(token)) {
        throw new PatchFault(
          `bad pointer ${JSON.stringify(pointer)}: ~ must be followed by 0 or 1 in ${JSON.stringify(token)}`,
          POINTER_HINT,
        );
      }
      return token.replaceAll("~1", "/").replaceAll("~0", "~");
    });
}
