import { z } from "zod";
import { documentHeader } from "./document-header.ts";
import { resourceName } from "./formats.ts";

/**
 * The schema of the `TrustedKeysConfig` document: the public keys that OS images and extensions
 * must be signed with. Pinning keys in the config is what lets a node refuse a tampered image.
 */
export const TrustedKeysConfigSchema = z
  .strictObject({
    ...documentHeader("TrustedKeysConfig"),
    verify: z
      .boolean()
      .default(true)
      .describe("Refuse images and extensions without a valid signature by one of the keys"),
    keys: z
      .array(
        z
          .strictObject({
            name: resourceName.describe("Name of the key; unique"),
            publicKey: z
              .string()
              .describe("Ed25519 or ECDSA P-256 public key, PEM (`-----BEGIN PUBLIC KEY-----`)"),
          })
          .describe("A signing key"),
      )
      .default([])
      .describe("Keys that may sign images and extensions"),
  })
  .describe("Keys that OS images and extensions must be signed with. At most one per file");

/** A parsed TrustedKeysConfig document. */
export type TrustedKeysConfig = z.infer<typeof TrustedKeysConfigSchema>;
