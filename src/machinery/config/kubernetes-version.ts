import { KUBERNETES_PATCH_RELEASES, STELE_VERSION, SUPPORTED_KUBERNETES_MINORS } from "../constants.ts";
import { SteleError } from "../errors.ts";

const VERSION = /^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*))?$/;

/**
 * Applies the Kubernetes version policy: each Stele release supports exactly the three latest
 * Kubernetes minors (SUPPORTED_KUBERNETES_MINORS). Accepts `1.37`, `1.37.1` or `v1.37.1` and returns
 * the full version without `v`; a bare minor resolves to the patch release this Stele release pins.
 * Throws SteleError("invalid-argument") for a malformed version or an unsupported minor, naming the
 * supported ones, so `gen config` and validation refuse it with the same words.
 */
export function resolveKubernetesVersion(input: string): string {
  const supported = SUPPORTED_KUBERNETES_MINORS.join(", ");
  const match = VERSION.exec(typeof input === "string" ? input.trim() : "");
  if (!match) {
    throw new SteleError(
      "invalid-argument",
      `Kubernetes version ${JSON.stringify(input)} is not valid: expected MAJOR.MINOR or MAJOR.MINOR.PATCH, like ${SUPPORTED_KUBERNETES_MINORS[0]} or ${KUBERNETES_PATCH_RELEASES[SUPPORTED_KUBERNETES_MINORS[0]]}`,
      `supported versions are ${supported}`,
    );
  }
  const minor = `${match[1]}.${match[2]}`;
  if (!isSupportedMinor(minor)) {
    throw new SteleError(
      "invalid-argument",
      `Kubernetes ${minor} is not supported by Stele ${STELE_VERSION}: supported versions are ${supported}`,
      `use one of ${supported}; other minors need another Stele release`,
    );
  }
  return match[3] === undefined ? KUBERNETES_PATCH_RELEASES[minor] : `${minor}.${match[3]}`;
}

function isSupportedMinor(minor: string): minor is (typeof SUPPORTED_KUBERNETES_MINORS)[number] {
  return (SUPPORTED_KUBERNETES_MINORS as readonly string[]).includes(minor);
}
