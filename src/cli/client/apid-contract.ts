/**
 * What stelectl shares with apid's edge: the trailer a refused call carries its hint in, the
 * fingerprint form a maintenance-mode node prints, and the checks apid's handshake applies to a
 * client certificate — all from src/machinery, the contract both ends import.
 */

export { decodeHint, HINT_METADATA_KEY } from "../../machinery/grpc/metadata-keys.ts";
export { certificateFingerprint } from "../../machinery/pki/certificate-fingerprint.ts";
export { diagnoseClientCertificate } from "../../machinery/pki/diagnose-client-certificate.ts";
