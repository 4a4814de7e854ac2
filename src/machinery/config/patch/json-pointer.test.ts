import assert from "node:assert/strict";
import { test } from "node:test";
import { parseJsonPointer } from "./json-pointer.ts";
import { PatchFault } from "./patch-error.ts";

// The pointers of RFC 6901 section 5, with the tokens they name.
const rfc6901: Array<[pointer: string, tokens: string[]]> = [
  ["", []],
  ["/foo", ["foo"]],
  ["/foo/0", ["foo", "0"]],
  ["/", [""]],
  ["/a~1b", ["a/b"]],
  ["/c%d", ["c%d"]],
  ["/e^f", ["e^f"]],
  ["/g|h", ["g|h"]],
  ["/i\\j", ["i\\j"]],
  ['/k"l', ['k"l']],
  ["/ ", [" "]],
  ["/m~0n", ["m~n"]],
  // ~1 is unescaped before ~0, so ~01 is the key "~1", never "/".
  ["/~01", ["~1"]],
  ["/a//b", ["a", "", "b"]],
];

for (const [pointer, tokens] of rfc6901) {
  test(`JSON pointer ${JSON.stringify(pointer)} names ${JSON.stringify(tokens)}`, () => {
    assert.deepEqual(parseJsonPointer(pointer), tokens);
  });
}

for (const bad of ["foo", "#/foo", "/a~", "/a~2", "/~x"]) {
  test(`JSON pointer ${JSON.stringify(bad)} is refused`, () => {
    assert.throws(
      () => parseJsonPointer(bad),
      (error: unknown) => {
        assert.ok(error instanceof PatchFault);
        assert.match(error.message, /^bad pointer /);
        return true;
      },
    );
  });
}
