/**
 * What stelectl shares with apid's edge: the trailer a refused call carries its hint in, the
 * fingerprint form a maintenance-mode node prints, and the checks apid's handshake applies to a
 * client certificate. Imported from the daemon in this one file, because they are the two ends of
 * one contract and must not drift; they belong in src/machinery, and when they move only this
 * file changes.
 */

export { diagnoseClientCertificate } from "../../app/apid/diagnose-client-certificate.ts";
export { certificateFingerprint, HINT_METADATA_KEY } from "../../app/apid/index.ts";
