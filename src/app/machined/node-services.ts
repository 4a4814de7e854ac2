import { join } from "node:path";
import { APID_PORT, TRUSTD_PORT } from "../../machinery/constants.ts";
import { programCommand } from "../../pkg/process/program-command.ts";
import type { LoadedConfig } from "./config/config-store.ts";
import type { NodeContainerServices } from "./containers/node-container-services.ts";
import { ProcessRunner, type Service, tcpHealthCheck } from "./system/index.ts";

/** Where the node's API daemons listen: apid on every node, trustd on control planes. */
export interface NodeListenAddresses {
  /** apid's `host:port`; `0.0.0.0:50000` on a real node. */
  apid: string;
  /** trustd's `host:port`; apid's host with port 50001 by default. */
  trustd?: string;
}

/** The sources' root (src/), for starting the daemons from the sources when not running bundled. */
const SOURCE_ROOT = join(import.meta.dirname, "..", "..");

/**
 * The services machined supervises for a config: apid always (in maintenance mode too, so that a
 * config can be applied), trustd on control planes. Each is a separate process of the same runtime,
 * so a crash of apid never takes machined down, and each is restarted with backoff when it dies.
 * Both read the config machined stored in STATE, never a copy of their own.
 *
 * With `containers` (see `nodeContainerServices`), a configured node also has containerd, cri and
 * etcd; they skip themselves unless machined is the node's PID 1, and etcd on workers.
 */
export function nodeServices(options: {
  stateDir: string;
  configPath: string;
  listen: NodeListenAddresses;
  containers?: NodeContainerServices;
}): (config: LoadedConfig | undefined) => Service[] {
  const apid = splitHostPort(options.listen.apid, APID_PORT);
  const trustd = splitHostPort(options.listen.trustd ?? `${apid.host}:${TRUSTD_PORT}`, TRUSTD_PORT);
  const probeHost = (host: string) => (host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host);
  return (config) => {
    const services: Service[] = [
      {
        id: "apid",
        runner: new ProcessRunner(process.execPath, {
          args: [
            ...programCommand("apid", SOURCE_ROOT),
            "--state-dir",
            options.stateDir,
            "--listen",
            `${apid.host}:${apid.port}`,
            ...(config ? ["--config", options.configPath] : []),
          ],
        }),
        health: tcpHealthCheck(probeHost(apid.host), apid.port),
        restart: "always",
        stopTimeoutMs: 5_000,
      },
    ];
    if (config?.parsed.machineConfig.type === "controlplane") {
      services.push({
        id: "trustd",
        runner: new ProcessRunner(process.execPath, {
          args: [
            ...programCommand("trustd", SOURCE_ROOT),
            "--config",
            options.configPath,
            "--listen",
            `${trustd.host}:${trustd.port}`,
          ],
        }),
        health: tcpHealthCheck(probeHost(trustd.host), trustd.port),
        restart: "always",
        stopTimeoutMs: 5_000,
      });
    }
    if (config && options.containers) services.push(...options.containers.services);
    return services;
  };
}

function splitHostPort(text: string, defaultPort: number): { host: string; port: number } {
  const match = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(text);
  const host = match?.[1] || "0.0.0.0";
  const port = match?.[2] ? Number(match[2]) : defaultPort;
  return { host, port };
}
