import { z } from "zod";
import { documentHeader } from "./document-header.ts";
import { imageReference, resourceName } from "./formats.ts";

/**
 * The schema of the `ExtensionsConfig` document: system extensions (drivers, firmware, tools)
 * added to the image. Each must be signed by a key of the TrustedKeysConfig.
 */
export const ExtensionsConfigSchema = z
  .strictObject({
    ...documentHeader("ExtensionsConfig"),
    extensions: z
      .array(
        z
          .strictObject({
            name: resourceName.describe("Name of the extension; unique"),
            image: imageReference.describe("OCI image of the extension"),
          })
          .describe("A system extension"),
      )
      .default([])
      .describe("Extensions to install"),
  })
  .describe("System extensions. At most one per file");

/** A parsed ExtensionsConfig document. */
export type ExtensionsConfig = z.infer<typeof ExtensionsConfigSchema>;
