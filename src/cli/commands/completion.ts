import { Argument, type Command } from "commander";
import { COMPLETION_SHELLS, completionScript } from "../client/completion-script.ts";

/** Registers `stelectl completion bash|zsh|fish`: prints a completion script for the shell. */
export function registerCompletionCommand(program: Command): void {
  program
    .command("completion")
    .description("Print a shell completion script, e.g. source <(stelectl completion bash)")
    .addArgument(new Argument("<shell>", "bash, zsh or fish").choices(COMPLETION_SHELLS))
    .action((shell: string) => {
      process.stdout.write(completionScript(program, shell));
    });
}
