import type { ResourceType } from "../../../runtime/index.ts";
import { Hostname } from "./hostname.ts";
import { KernelParamStatus } from "./kernel-param-status.ts";
import { MachineConfigResource } from "./machine-config-resource.ts";
import { MachineStatus } from "./machine-status.ts";
import { Member } from "./member.ts";
import { NodeAddresses } from "./node-addresses.ts";
import { ServiceResource } from "./service-resource.ts";
import { TimeStatus } from "./time-status.ts";
import { VersionResource } from "./version-resource.ts";

/** Every resource type machined defines, registered at start so the API can resolve their names. */
export const MACHINED_RESOURCE_TYPES: readonly ResourceType<unknown>[] = [
  Hostname,
  KernelParamStatus,
  MachineConfigResource,
  MachineStatus,
  Member,
  NodeAddresses,
  ServiceResource,
  TimeStatus,
  VersionResource,
] as ResourceType<unknown>[];
