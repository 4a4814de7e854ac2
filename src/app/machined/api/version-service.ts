import type { UntypedServiceImplementation } from "@grpc/grpc-js";
import { PlatformMode, type VersionServiceServer } from "../../../machinery/api/machine/v1alpha1/version.ts";
import { STELE_VERSION } from "../../../machinery/constants.ts";
import type { Machined } from "../machined.ts";
import { unary } from "./call-handlers.ts";

/** The VersionService handler: the release, the runtime and the platform of this node. */
export function versionServiceHandlers(
  machined: Machined,
): VersionServiceServer & UntypedServiceImplementation {
  return {
    version: unary(machined.logger, "Version", () => ({
      messages: [
        {
          metadata: { hostname: machined.hostname() },
          version: {
            tag: `v${STELE_VERSION}`,
            sha: process.env["STELE_BUILD_SHA"] ?? "",
            built: undefined,
            nodeVersion: process.version,
            os: process.platform,
            arch: process.arch,
          },
          platform: {
            name: machined.platform.name,
            mode:
              machined.platform.mode === "metal"
                ? PlatformMode.PLATFORM_MODE_METAL
                : PlatformMode.PLATFORM_MODE_CONTAINER,
          },
        },
      ],
    })),
  };
}
