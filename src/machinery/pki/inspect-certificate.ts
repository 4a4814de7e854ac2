import { describeKey, type KeyAlgorithmName } from "./keys.ts";
import { type PemLabelOptions, readCertificate } from "./read-pem.ts";
import { x509 } from "./x509.ts";

/**
 * What a certificate says, in the terms the security team checks with `openssl x509 -text`:
 * `serial` is the uppercase hex `openssl x509 -serial` prints, `signatureAlgorithm` is OpenSSL's
 * name for it (`ED25519`, `ecdsa-with-SHA256`, `sha256WithRSAEncryption`), and `extKeyUsage`
 * uses RFC 5280's short names (`serverAuth`, `clientAuth`).
 */
export interface CertificateInfo {
  commonName: string;
  organizations: string[];
  issuerCommonName: string;
  serial: string;
  notBefore: Date;
  notAfter: Date;
  isCA: boolean;
  keyAlgorithm: KeyAlgorithmName;
  keyBits: number;
  signatureAlgorithm: string;
  /** Key usage flags by RFC 5280 name (`digitalSignature`, `keyCertSign`…); empty when absent. */
  keyUsage: string[];
  extKeyUsage: string[];
  dnsNames: string[];
  /** IP SANs, IPv6 in its canonical compressed form (`fd00::1`). */
  ipAddresses: string[];
  /** Whether the certificate is issued by itself and its signature verifies with its own key. */
  selfSigned: boolean;
}

const EKU_NAMES: Readonly<Record<string, string>> = {
  "1.3.6.1.5.5.7.3.1": "serverAuth",
  "1.3.6.1.5.5.7.3.2": "clientAuth",
  "1.3.6.1.5.5.7.3.3": "codeSigning",
  "1.3.6.1.5.5.7.3.4": "emailProtection",
  "1.3.6.1.5.5.7.3.8": "timeStamping",
  "1.3.6.1.5.5.7.3.9": "OCSPSigning",
  "2.5.29.37.0": "anyExtendedKeyUsage",
};

const KEY_USAGE_NAMES: ReadonlyArray<[number, string]> = [
  [x509.KeyUsageFlags.digitalSignature, "digitalSignature"],
  [x509.KeyUsageFlags.nonRepudiation, "nonRepudiation"],
  [x509.KeyUsageFlags.keyEncipherment, "keyEncipherment"],
  [x509.KeyUsageFlags.dataEncipherment, "dataEncipherment"],
  [x509.KeyUsageFlags.keyAgreement, "keyAgreement"],
  [x509.KeyUsageFlags.keyCertSign, "keyCertSign"],
  [x509.KeyUsageFlags.cRLSign, "cRLSign"],
  [x509.KeyUsageFlags.encipherOnly, "encipherOnly"],
  [x509.KeyUsageFlags.decipherOnly, "decipherOnly"],
];

const HASH_SUFFIX: Readonly<Record<string, string>> = {
  "SHA-1": "SHA1",
  "SHA-256": "SHA256",
  "SHA-384": "SHA384",
  "SHA-512": "SHA512",
};

/** OpenSSL's name of a signature algorithm, from @peculiar/x509's WebCrypto-style description. */
function openSslSignatureName(algorithm: { name: string; hash?: { name: string } | string }): string {
  const hash = typeof algorithm.hash === "string" ? algorithm.hash : algorithm.hash?.name;
  const suffix = hash ? HASH_SUFFIX[hash] : undefined;
  switch (algorithm.name) {
    case "Ed25519":
      return "ED25519";
    case "Ed448":
      return "ED448";
    case "ECDSA":
      return suffix ? `ecdsa-with-${suffix}` : "ECDSA";
    case "RSASSA-PKCS1-v1_5":
      return suffix ? `${suffix.toLowerCase()}WithRSAEncryption` : "rsaEncryption";
    case "RSA-PSS":
      return "rsassaPss";
    default:
      // @peculiar/x509 reports an algorithm it does not know by its OID; that is still precise.
      return algorithm.name;
  }
}

/** An IP address in canonical form; the URL parser compresses IPv6 exactly as RFC 5952 says. */
function canonicalIp(address: string): string {
  return address.includes(":") ? new URL(`http://[${address}]/`).hostname.slice(1, -1) : address;
}

/**
 * Reads what a certificate says. Bad PEM throws SteleError("invalid-argument") naming
 * `options.label`. Validity dates are reported, not judged: expiry is for the caller to weigh.
 */
export function inspectCertificate(pem: string, options: PemLabelOptions = {}): CertificateInfo {
  const { node, x509: cert } = readCertificate(pem, options);
  const key = describeKey(node.publicKey);
  const keyUsage = cert.getExtension(x509.KeyUsagesExtension);
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const sanItems = [...(san?.names.toJSON() ?? [])];
  return {
    commonName: cert.subjectName.getField("CN")[0] ?? "",
    organizations: [...cert.subjectName.getField("O")],
    issuerCommonName: cert.issuerName.getField("CN")[0] ?? "",
    serial: node.serialNumber.toUpperCase(),
    notBefore: node.validFromDate,
    notAfter: node.validToDate,
    isCA: node.ca,
    keyAlgorithm: key.algorithm,
    keyBits: key.bits,
    signatureAlgorithm: openSslSignatureName(
      cert.signatureAlgorithm as { name: string; hash?: { name: string } },
    ),
    keyUsage: keyUsage
      ? KEY_USAGE_NAMES.filter(([flag]) => (keyUsage.usages & flag) !== 0).map(([, n]) => n)
      : [],
    extKeyUsage: Array.from(eku?.usages ?? [], (usage) => EKU_NAMES[String(usage)] ?? String(usage)),
    dnsNames: sanItems.filter((item) => item.type === "dns").map((item) => item.value),
    ipAddresses: sanItems.filter((item) => item.type === "ip").map((item) => canonicalIp(item.value)),
    selfSigned: node.checkIssued(node) && node.verify(node.publicKey),
  };
}
