import { findDocument } from "../document-ref.ts";
import type { ValidationRule } from "./validation-context.ts";

/** On metal, Stele installs itself: it must know to which disk. */
export const installDiskRule: ValidationRule = {
  id: "install-disk",
  description: "On metal, `install.disk` names the disk to install to (containers have no disk).",
  check(context) {
    const machine = context.parsed.machineConfig;
    if (context.mode !== "metal" || machine.install.disk !== undefined) return;
    context.report(machine, {
      path: ["install", "disk"],
      message: "missing: a metal machine installs Stele to a disk, and none is named",
      hint: "set install.disk to the device, e.g. /dev/sda or /dev/disk/by-id/…; containers do not need one",
    });
  },
};

/**
 * Settings that are legal but that people rarely mean in production: each is a warning, so a
 * config that sets them deliberately still loads.
 */
export const riskySettingsRule: ValidationRule = {
  id: "risky-settings",
  description:
    "Warnings for legal but risky settings: `install.wipe`, `debug`, RBAC or the clientAuth check turned off, time synchronisation off, signature verification off, a log CA on a non-TLS destination.",
  check(context) {
    const machine = context.parsed.machineConfig;
    const warn = (path: (string | number)[], message: string, hint: string) =>
      context.report(machine, { severity: "warning", path, message, hint });
    if (machine.install.wipe) {
      warn(
        ["install", "wipe"],
        "wipe erases the whole disk on install, not only Stele's partitions",
        "set wipe: false unless the disk holds nothing you need",
      );
    }
    if (machine.debug) {
      warn(
        ["debug"],
        "debug logging is on: logs grow fast and may include sensitive detail",
        "turn it off outside of troubleshooting",
      );
    }
    if (!machine.features.rbac) {
      warn(
        ["features", "rbac"],
        "RBAC is off: every client with a valid certificate is an administrator",
        "turn it back on (features.rbac: true) unless you are debugging roles",
      );
    }
    if (!machine.features.apidCheckExtKeyUsage) {
      warn(
        ["features", "apidCheckExtKeyUsage"],
        "the clientAuth check is off: any certificate signed by the OS CA can call the API",
        "turn it back on: client certificates Stele issues carry clientAuth",
      );
    }
    if (machine.time.disabled) {
      warn(
        ["time", "disabled"],
        "time synchronisation is off: certificates fail to verify on a clock that drifts",
        "leave it on unless the platform keeps the clock",
      );
    }
    machine.logging.destinations.forEach((destination, i) => {
      if (destination.ca !== undefined && !destination.endpoint.startsWith("tls://")) {
        warn(
          ["logging", "destinations", i, "ca"],
          `a CA is set but ${destination.endpoint} does not use TLS: it is ignored`,
          "use a tls:// endpoint, or remove ca",
        );
      }
    });
    const trusted = findDocument(context.parsed.documents, "TrustedKeysConfig");
    if (trusted && !trusted.verify) {
      context.report(trusted, {
        severity: "warning",
        path: ["verify"],
        message: "signature verification is off: unsigned or tampered images and extensions will run",
        hint: "turn verify back on once the signing keys are listed",
      });
    }
  },
};

/** Extensions are only used after their signature is verified, which needs trusted keys. */
export const extensionsSignedRule: ValidationRule = {
  id: "extensions-need-keys",
  description:
    "When extensions are listed and verification is on, a TrustedKeysConfig lists at least one key to verify them with.",
  check(context) {
    const extensions = findDocument(context.parsed.documents, "ExtensionsConfig");
    if (!extensions || extensions.extensions.length === 0) return;
    const trusted = findDocument(context.parsed.documents, "TrustedKeysConfig");
    if (trusted && (!trusted.verify || trusted.keys.length > 0)) return;
    context.report(extensions, {
      path: ["extensions"],
      message:
        "expected a TrustedKeysConfig with at least one key: extensions run only after their signature is verified",
      hint: "add a TrustedKeysConfig document listing the public key the extensions are signed with",
    });
  },
};
