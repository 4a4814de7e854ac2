import type { Command } from "commander";
import { SteleError } from "../../machinery/errors.ts";

/** The shells `stelectl completion` writes scripts for. */
export const COMPLETION_SHELLS = ["bash", "zsh", "fish"] as const;

/** One of COMPLETION_SHELLS. */
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];

interface Entry {
  /** The command path after the program name, e.g. `config merge`. */
  path: string;
  names: string[];
  description: string;
  options: string[];
  children: string[];
}

/**
 * A completion script for `shell`, generated from the program's command tree (commander has no
 * built-in one): command and sub-command names with their aliases, and each command's long and
 * short options, global options included. Generated rather than written by hand, so a new
 * command completes the day it is registered.
 */
export function completionScript(program: Command, shell: string): string {
  const entries = collect(program, "");
  const root = entries.find((entry) => entry.path === "");
  if (!root) throw new SteleError("internal", "The command tree has no root");
  if (shell === "bash") return bashScript(program.name(), entries);
  if (shell === "zsh")
    return `#compdef ${program.name()}\nautoload -U +X bashcompinit && bashcompinit\n${bashScript(program.name(), entries)}`;
  if (shell === "fish") return fishScript(program.name(), entries);
  throw new SteleError(
    "invalid-argument",
    `Unknown shell: ${JSON.stringify(shell)}`,
    `Use one of ${COMPLETION_SHELLS.join(", ")}`,
  );
}

function collect(command: Command, path: string): Entry[] {
  const visible = command.commands.filter((child) => child.name() !== "help");
  const entry: Entry = {
    path,
    names: [command.name(), ...command.aliases()],
    description: command.description(),
    options: command.options.flatMap((option) => [option.long, option.short].filter((f): f is string => !!f)),
    children: visible.flatMap((child) => [child.name(), ...child.aliases()]),
  };
  return [
    entry,
    ...visible.flatMap((child) => collect(child, path === "" ? child.name() : `${path} ${child.name()}`)),
  ];
}

function bashScript(name: string, entries: readonly Entry[]): string {
  const fn = `_${name}_completion`;
  const globals = entries.find((entry) => entry.path === "")?.options ?? [];
  const cases = entries
    .map((entry) => {
      const paths = entry.path === "" ? [""] : aliasedPaths(entry, entries);
      const words = [...entry.children, ...entry.options, ...(entry.path === "" ? [] : globals)].join(" ");
      return `    ${paths.map((p) => JSON.stringify(p)).join("|")}) words=${JSON.stringify(words)} ;;`;
    })
    .join("\n");
  return `# ${name} completion for bash; load with: source <(${name} completion bash)
${fn}() {
  local cur path="" i word words
  cur="\${COMP_WORDS[COMP_CWORD]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    [[ "$word" == -* ]] && continue
    if [[ -z "$path" ]]; then candidate="$word"; else candidate="$path $word"; fi
    case "$candidate" in
${entries
  .filter((entry) => entry.path !== "")
  .flatMap((entry) => aliasedPaths(entry, entries))
  .map((p) => `      ${JSON.stringify(p)}) path="$candidate" ;;`)
  .join("\n")}
    esac
  done
  case "$path" in
${cases}
    *) words="" ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F ${fn} ${name}
`;
}

// Every way to spell a command's path with aliases: `list` and `ls`.
function aliasedPaths(entry: Entry, entries: readonly Entry[]): string[] {
  const parts = entry.path.split(" ");
  let paths = [""];
  for (let depth = 0; depth < parts.length; depth++) {
    const prefix = parts.slice(0, depth + 1).join(" ");
    const names = entries.find((e) => e.path === prefix)?.names ?? [parts[depth] ?? ""];
    paths = paths.flatMap((p) => names.map((n) => (p === "" ? n : `${p} ${n}`)));
  }
  return paths;
}

function fishScript(name: string, entries: readonly Entry[]): string {
  const lines = [`# ${name} completion for fish; load with: ${name} completion fish | source`];
  const quote = (text: string) => `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
  for (const entry of entries) {
    const condition =
      entry.path === ""
        ? "__fish_use_subcommand"
        : `__fish_seen_subcommand_from ${entries.find((e) => e.path === entry.path)?.names.join(" ") ?? entry.path}`;
    for (const child of entries.filter((e) => e.path !== "" && parentPath(e.path) === entry.path)) {
      for (const childName of child.names)
        lines.push(
          `complete -c ${name} -f -n ${quote(condition)} -a ${childName} -d ${quote(child.description)}`,
        );
    }
    for (const option of entry.options) {
      const flag = option.startsWith("--") ? `-l ${option.slice(2)}` : `-s ${option.slice(1)}`;
      lines.push(`complete -c ${name} -n ${quote(entry.path === "" ? "true" : condition)} ${flag}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

function parentPath(path: string): string {
  return path.includes(" ") ? path.slice(0, path.lastIndexOf(" ")) : "";
}
