import type { ErrorCode } from "../../../machinery/errors.ts";
import type { MachineStage } from "../resources/machine-status.ts";
import type { ServiceState } from "../system/index.ts";

/** Whether a step (sequence, phase, task) starts or stops. */
export type EventAction = "start" | "stop";

/**
 * What happened, one case per kind of the API's EventsResponse. A union rather than a class tree:
 * the API edge maps each case to its protobuf message in one switch.
 */
export type MachineEventPayload =
  | {
      readonly kind: "sequence";
      readonly sequence: string;
      readonly action: EventAction;
      readonly error?: {
        readonly code: ErrorCode;
        readonly message: string;
        readonly hint?: string | undefined;
      };
    }
  | { readonly kind: "phase"; readonly phase: string; readonly action: EventAction }
  | { readonly kind: "task"; readonly task: string; readonly action: EventAction }
  | {
      readonly kind: "service";
      readonly service: string;
      readonly state: ServiceState;
      readonly message: string;
      readonly healthy: boolean | undefined;
    }
  | { readonly kind: "config-load-error"; readonly error: string }
  | { readonly kind: "config-validation-error"; readonly error: string }
  | {
      readonly kind: "machine-status";
      readonly stage: MachineStage;
      readonly ready: boolean;
      readonly unmetConditions: readonly { readonly name: string; readonly reason: string }[];
    };

/** One recorded event of the node. */
export interface MachineEvent {
  /** Unique on the node and increasing: zero-padded so that ids also sort as strings. */
  readonly id: string;
  /** The operation (Reboot, Reset …) that caused the event; empty when the node caused it itself. */
  readonly actorId: string;
  readonly time: Date;
  readonly payload: MachineEventPayload;
}
