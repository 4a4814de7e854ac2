import { z } from "zod";
import { documentHeader, documentName } from "./document-header.ts";

/**
 * The schema of the `TrustedRootsConfig` document: extra certificate authorities the machine
 * trusts for outgoing TLS (a company CA, a private registry). Repeatable, one per `name`, so
 * separate teams can each add theirs by patch.
 */
export const TrustedRootsConfigSchema = z
  .strictObject({
    ...documentHeader("TrustedRootsConfig"),
    name: documentName,
    certificates: z
      .string()
      .describe(
        "One or more PEM certificates (`-----BEGIN CERTIFICATE-----` blocks), as a YAML block scalar",
      ),
  })
  .describe("Extra trusted root certificates. Repeatable: one document per name");

/** A parsed TrustedRootsConfig document. */
export type TrustedRootsConfig = z.infer<typeof TrustedRootsConfigSchema>;
