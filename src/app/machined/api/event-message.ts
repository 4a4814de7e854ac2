import { ErrorCode } from "../../../machinery/api/common/v1alpha1/common.ts";
import {
  EventAction,
  type EventsResponse,
  MachineStage,
  ServiceState,
} from "../../../machinery/api/machine/v1alpha1/events.ts";
import type { ErrorCode as SteleErrorCode } from "../../../machinery/errors.ts";
import type { MachineEvent } from "../events/machine-event.ts";
import type { MachineStage as Stage } from "../resources/machine-status.ts";
import type { ServiceState as SupervisorState } from "../system/index.ts";

/** The API's ServiceState for each supervisor state: `stopped` is FINISHED ("stopped on request"). */
export const SERVICE_STATE_MESSAGES: Readonly<Record<SupervisorState, ServiceState>> = {
  stopped: ServiceState.SERVICE_STATE_FINISHED,
  waiting: ServiceState.SERVICE_STATE_WAITING,
  preparing: ServiceState.SERVICE_STATE_PREPARING,
  running: ServiceState.SERVICE_STATE_RUNNING,
  stopping: ServiceState.SERVICE_STATE_STOPPING,
  finished: ServiceState.SERVICE_STATE_FINISHED,
  failed: ServiceState.SERVICE_STATE_FAILED,
  skipped: ServiceState.SERVICE_STATE_SKIPPED,
};

const STAGES: Readonly<Record<Stage, MachineStage>> = {
  booting: MachineStage.MACHINE_STAGE_BOOTING,
  maintenance: MachineStage.MACHINE_STAGE_MAINTENANCE,
  running: MachineStage.MACHINE_STAGE_RUNNING,
  rebooting: MachineStage.MACHINE_STAGE_REBOOTING,
  shuttingdown: MachineStage.MACHINE_STAGE_SHUTTING_DOWN,
  resetting: MachineStage.MACHINE_STAGE_RESETTING,
};

/** The API's ErrorCode for a SteleError code (`invalid-argument` → ERROR_CODE_INVALID_ARGUMENT). */
export function errorCodeMessage(code: SteleErrorCode): ErrorCode {
  const name = `ERROR_CODE_${code.toUpperCase().replaceAll("-", "_")}`;
  return (ErrorCode as Record<string, ErrorCode>)[name] ?? ErrorCode.ERROR_CODE_INTERNAL;
}

const action = (value: "start" | "stop") =>
  value === "start" ? EventAction.EVENT_ACTION_START : EventAction.EVENT_ACTION_STOP;

/** A recorded event as the Events RPC sends it. */
export function eventMessage(event: MachineEvent, hostname: string): EventsResponse {
  const p = event.payload;
  let body: EventsResponse["event"];
  switch (p.kind) {
    case "sequence":
      body = {
        $case: "sequence",
        value: {
          sequence: p.sequence,
          action: action(p.action),
          error: p.error
            ? {
                code: errorCodeMessage(p.error.code),
                message: p.error.message,
                hint: p.error.hint ?? "",
                details: [],
              }
            : undefined,
        },
      };
      break;
    case "phase":
      body = { $case: "phase", value: { phase: p.phase, action: action(p.action) } };
      break;
    case "task":
      body = { $case: "task", value: { task: p.task, action: action(p.action) } };
      break;
    case "service":
      body = {
        $case: "serviceState",
        value: {
          service: p.service,
          state: SERVICE_STATE_MESSAGES[p.state],
          message: p.message,
          health: {
            unknown: p.healthy === undefined,
            healthy: p.healthy ?? false,
            lastMessage: "",
            lastChange: undefined,
          },
        },
      };
      break;
    case "config-load-error":
      body = { $case: "configLoadError", value: { error: p.error } };
      break;
    case "config-validation-error":
      body = { $case: "configValidationError", value: { error: p.error } };
      break;
    case "machine-status":
      body = {
        $case: "machineStatus",
        value: {
          stage: STAGES[p.stage],
          ready: p.ready,
          unmetConditions: p.unmetConditions.map((c) => ({ ...c })),
        },
      };
      break;
  }
  return { metadata: { hostname }, id: event.id, actorId: event.actorId, timestamp: event.time, event: body };
}
