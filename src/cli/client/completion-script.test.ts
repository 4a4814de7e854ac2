import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { buildProgram } from "../program.ts";
import { completionScript } from "./completion-script.ts";

/** What bash completes for `words` (the last one being completed) with the generated script. */
function bashComplete(words: string[]): string[] {
  const script = completionScript(buildProgram(), "bash");
  const program = `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _stelectl_completion; printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync("bash", ["-c", program], { encoding: "utf8" }).split("\n").filter(Boolean);
}

test("bash completes command names, aliases included", () => {
  assert.deepEqual(bashComplete(["stelectl", "l"]).sort(), ["list", "logs", "ls"]);
});

test("bash completes sub-commands after their group, and options after a command", () => {
  assert.deepEqual(bashComplete(["stelectl", "config", "me"]), ["merge"]);
  const options = bashComplete(["stelectl", "apply-config", "--"]);
  for (const flag of ["--file", "--mode", "--insecure", "--cert-fingerprint", "--nodes"])
    assert.ok(options.includes(flag), flag);
});

test("an unknown shell is refused with the ones supported", () => {
  assert.throws(() => completionScript(buildProgram(), "tcsh"), { message: /^Unknown shell: "tcsh"/ });
});
