import type { RunExit } from "./runner.ts";
import type { ServiceState } from "./service-state.ts";

/**
 * One transition of a service, as `Supervisor.events()` yields it and as the daemon turns it into
 * resources and API events. Health changes are events too (state `running`, `healthy` changed).
 */
export interface ServiceEvent {
  readonly service: string;
  readonly state: ServiceState;
  /** Only while `running` with a health check that has answered: whether the last check passed. */
  readonly healthy?: boolean;
  /** What happened, for people: "Process killed by SIGKILL: restarting in 4s", "Waiting for service: etcd". */
  readonly message: string;
  /** When, in milliseconds since the epoch (the supervisor's clock). */
  readonly time: number;
  /** Automatic restarts since the service was last started or restarted on request. */
  readonly restartCount: number;
  /** The process id, while there is a process (`running`, `stopping`). */
  readonly pid?: number;
  /** How the run ended, on the event that reports the end. */
  readonly exit?: RunExit;
  /** Set when a restart is scheduled: the backoff delay before it. */
  readonly nextDelayMs?: number;
}
