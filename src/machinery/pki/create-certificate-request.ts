import { subjectAltNames, subjectName } from "./certificate-fields.ts";
import { generateKeyObjects, type KeyAlgorithm, privateKeyToPem, toSigningKey, toVerifyKey } from "./keys.ts";
import { x509 } from "./x509.ts";

/** Options of `createCertificateRequest`. */
export interface CreateCertificateRequestOptions {
  commonName: string;
  organizations?: readonly string[];
  dnsNames?: readonly string[];
  ipAddresses?: readonly string[];
  /** Algorithm of the generated key; Ed25519 by default, as apid's own certificates use. */
  algorithm?: KeyAlgorithm;
}

/**
 * Generates a key and a PKCS#10 request for it, with the SANs in an extensionRequest. This is what
 * a worker sends trustd: the private key never leaves the node, only the request does.
 */
export async function createCertificateRequest(
  options: CreateCertificateRequestOptions,
): Promise<{ csr: string; key: string }> {
  const keys = await generateKeyObjects(options.algorithm ?? "ed25519");
  const signing = toSigningKey(keys.privateKey, "the new key");
  const sans = subjectAltNames(options.dnsNames, options.ipAddresses);
  const request = await x509.Pkcs10CertificateRequestGenerator.create({
    name: subjectName(options.commonName, options.organizations),
    keys: { privateKey: signing.key, publicKey: toVerifyKey(keys.publicKey, "the new key") },
    signingAlgorithm: signing.algorithm,
    extensions: sans.length > 0 ? [new x509.SubjectAlternativeNameExtension(sans, false)] : [],
  });
  return { csr: `${request.toString("pem")}\n`, key: privateKeyToPem(keys.privateKey) };
}
