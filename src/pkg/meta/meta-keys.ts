import { MetaError } from "./meta-error.ts";

/**
 * The META keys Stele uses. Strings rather than numbers so a hex dump of the partition is readable
 * and a new key never collides with an old one; the `upgrade.` and `identity.` prefixes group them.
 */
export const MetaKey = {
  /** `A` or `B`: the boot slot to try at the next boot. */
  nextSlot: "upgrade.next-slot",
  /** One byte: boots of `nextSlot` left before falling back; 0 means fall back now. */
  triesLeft: "upgrade.tries-left",
  /** `A` or `B`: the slot known to boot, used when the tries run out. */
  fallbackSlot: "upgrade.fallback-slot",
  /** UTF-8: the SMBIOS system UUID seen at install, to notice a disk moved to another machine. */
  machineUuid: "identity.machine-uuid",
  /** UTF-8: the hostname the node last had, shown before its config is read. */
  hostname: "identity.hostname",
} as const;

/** A boot slot: which of BOOT-A and BOOT-B. */
export type BootSlot = "A" | "B";

/**
 * The A/B upgrade state. An upgrade writes the new slot as `nextSlot` with a few tries and the running
 * slot as `fallbackSlot`; each boot of `nextSlot` spends a try; a boot that reaches a healthy API
 * commits it by setting `fallbackSlot` to it. With no tries left, the fallback slot boots.
 */
export interface UpgradeState {
  nextSlot: BootSlot;
  triesLeft: number;
  fallbackSlot: BootSlot;
}

/** The entries that store `state`, to pass to writeMeta or updateMeta. */
export function encodeUpgradeState(state: UpgradeState): Map<string, Uint8Array> {
  if (!Number.isInteger(state.triesLeft) || state.triesLeft < 0 || state.triesLeft > 255) {
    throw new MetaError(
      "invalid-argument",
      `Invalid tries left: ${state.triesLeft}`,
      "Use a whole number from 0 to 255",
    );
  }
  for (const slot of [state.nextSlot, state.fallbackSlot]) checkSlot(slot);
  return new Map([
    [MetaKey.nextSlot, Buffer.from(state.nextSlot, "latin1")],
    [MetaKey.triesLeft, Uint8Array.of(state.triesLeft)],
    [MetaKey.fallbackSlot, Buffer.from(state.fallbackSlot, "latin1")],
  ]);
}

/**
 * The upgrade state in META's entries, or undefined when none was ever written (a fresh install,
 * which boots slot A). Throws a MetaError (`io`) when it is incomplete or malformed, since guessing a
 * slot could boot a half-written one.
 */
export function decodeUpgradeState(entries: ReadonlyMap<string, Uint8Array>): UpgradeState | undefined {
  const keys = [MetaKey.nextSlot, MetaKey.triesLeft, MetaKey.fallbackSlot];
  const present = keys.filter((key) => entries.has(key));
  if (present.length === 0) return undefined;
  const malformed = (detail: string) =>
    new MetaError(
      "io",
      `Malformed upgrade state in META: ${detail}`,
      "Rewrite the upgrade state (an upgrade or rollback does)",
    );
  if (present.length < keys.length) {
    throw malformed(`missing ${keys.filter((key) => !entries.has(key)).join(", ")}`);
  }
  const slot = (key: string): BootSlot => {
    const text = Buffer.from(entries.get(key)!).toString("latin1");
    if (text !== "A" && text !== "B") throw malformed(`${key} is ${JSON.stringify(text)}, not "A" or "B"`);
    return text;
  };
  const tries = entries.get(MetaKey.triesLeft)!;
  if (tries.length !== 1) throw malformed(`${MetaKey.triesLeft} is ${tries.length} bytes, not 1`);
  return { nextSlot: slot(MetaKey.nextSlot), triesLeft: tries[0]!, fallbackSlot: slot(MetaKey.fallbackSlot) };
}

/** What META remembers of the machine's identity; each hint is optional. */
export interface IdentityHints {
  machineUuid?: string;
  hostname?: string;
}

/** The entries that store `hints`: a hint left undefined is deleted (`null`), for updateMeta. */
export function encodeIdentityHints(hints: IdentityHints): Map<string, Uint8Array | null> {
  const encode = (value: string | undefined) => (value === undefined ? null : Buffer.from(value, "utf8"));
  return new Map([
    [MetaKey.machineUuid, encode(hints.machineUuid)],
    [MetaKey.hostname, encode(hints.hostname)],
  ]);
}

/** The identity hints in META's entries; absent keys are left out. */
export function decodeIdentityHints(entries: ReadonlyMap<string, Uint8Array>): IdentityHints {
  const hints: IdentityHints = {};
  const machineUuid = entries.get(MetaKey.machineUuid);
  const hostname = entries.get(MetaKey.hostname);
  if (machineUuid !== undefined) hints.machineUuid = Buffer.from(machineUuid).toString("utf8");
  if (hostname !== undefined) hints.hostname = Buffer.from(hostname).toString("utf8");
  return hints;
}

function checkSlot(slot: string): void {
  if (slot !== "A" && slot !== "B") {
    throw new MetaError("invalid-argument", `Invalid boot slot: ${JSON.stringify(slot)}`, 'Use "A" or "B"');
  }
}
