import { existsSync } from "node:fs";
import { dirname } from "node:path";
import type { Command } from "commander";
import {
  type ClientConfig,
  emptyClientConfig,
  parseClientConfig,
  resolveClientConfigPath,
  serializeClientConfig,
} from "../machinery/client/index.ts";
import { readInputFile } from "./input.ts";
import { SECRET_FILE_MODE, writeOutputFiles } from "./output-files.ts";

/** The global options every command may use to find its client config. */
export interface GlobalClientOptions {
  stelectlconfig?: string;
  context?: string;
}

/** The client config path for a command: --stelectlconfig, else $STELECONFIG, else ~/.stele/config. */
export function clientConfigPath(command: Command): string {
  const flag = (command.optsWithGlobals() as GlobalClientOptions).stelectlconfig;
  return resolveClientConfigPath(flag ? { flag } : {});
}

/** Reads the client config at `path`; a missing file is an empty config (the first merge creates it). */
export function readClientConfig(path: string): ClientConfig {
  if (!existsSync(path)) return emptyClientConfig();
  return parseClientConfig(readInputFile(path, "client config"), { file: path });
}

/** Writes the client config atomically with mode 0600: it holds a private key. */
export function writeClientConfig(path: string, config: ClientConfig): void {
  writeOutputFiles([{ path, content: serializeClientConfig(config), mode: SECRET_FILE_MODE }], {
    force: true,
    dir: dirname(path),
  });
}
