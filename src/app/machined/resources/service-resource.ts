import { z } from "zod";
import { defineResourceType } from "../../../runtime/index.ts";
import { SERVICE_STATES, type ServiceState } from "../system/index.ts";

const ServiceSpecSchema = z.object({
  state: z.enum(SERVICE_STATES as readonly [ServiceState, ...ServiceState[]]),
  /** Null while the service has no health check or it has not answered. */
  healthy: z.boolean().nullable(),
  message: z.string(),
  restartCount: z.int().min(0),
  pid: z.int().nullable(),
});

/** The spec of a Service resource. */
export type ServiceSpec = z.infer<typeof ServiceSpecSchema>;

/**
 * One supervised service as the supervisor last reported it (id = service id), so that controllers
 * and `stelectl get services` see services as any other resource: bridged from `Supervisor.events()`.
 */
export const ServiceResource = defineResourceType<ServiceSpec>({
  type: "Services.v1alpha1.stele.dev",
  aliases: ["service", "services", "svc"],
  defaultNamespace: "runtime",
  printColumns: [
    { name: "State", path: "spec.state" },
    { name: "Healthy", path: "spec.healthy" },
  ],
  schema: ServiceSpecSchema,
});
