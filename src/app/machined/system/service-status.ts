import type { ServiceEvent } from "./service-event.ts";
import type { ServiceState } from "./service-state.ts";

/**
 * A service as `Supervisor.list()` shows it at one moment: its latest state plus its recent
 * events, which is what `stelectl services <id>` prints to explain a state.
 */
export interface ServiceStatus {
  readonly id: string;
  readonly dependsOn: readonly string[];
  readonly state: ServiceState;
  /** As in {@link ServiceEvent.healthy}. */
  readonly healthy: boolean | undefined;
  readonly message: string;
  /** Time of the latest event. */
  readonly since: number;
  readonly restartCount: number;
  readonly pid: number | undefined;
  /** The latest events of this service, oldest first (a bounded history). */
  readonly events: readonly ServiceEvent[];
}
