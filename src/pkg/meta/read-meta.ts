import { isDeepStrictEqual } from "node:util";
import { type BlockTarget, withBlockIo } from "../gpt/block-io.ts";
import { MetaError } from "./meta-error.ts";
import type { MetaCopyState } from "./meta-format.ts";
import { describeCopy, inspectMetaCopies, type MetaLocation, resolveMetaRegion } from "./meta-region.ts";

/** What {@link readMeta} found. */
export interface MetaContents {
  /** The entries of the copy used, by key. */
  entries: Map<string, Uint8Array>;
  /** Its generation: 1 for the first write, one more for each write after. */
  generation: number;
  /** Which copy was used. */
  copy: "A" | "B";
  /**
   * What is wrong with the other copy, one sentence each: damaged (and why), never written, or older
   * (a write was cut short between the copies). Empty when both copies are sound and equal.
   */
  problems: string[];
}

/**
 * Reads META from its partition (or a file, or a region of a disk image): decodes and verifies both
 * copies and returns the sound one with the highest generation, saying in `problems` what is wrong
 * with the other. Throws a MetaError: `not-found` when neither copy was ever written, `io` naming
 * both failures when neither is sound.
 */
export function readMeta(target: BlockTarget, location: MetaLocation = {}): MetaContents {
  return withBlockIo(target, {}, (io) => {
    const region = resolveMetaRegion(io, location);
    const states = inspectMetaCopies(io, region);
    const sound = [0, 1].filter((i) => states[i]!.ok);
    if (sound.length === 0) {
      const why = states
        .map((s, i) => `${describeCopy(region.copies[i]!)}: ${s.ok ? "" : s.problem}`)
        .join("; ");
      if (states.every((s) => !s.ok && s.blank)) {
        throw new MetaError(
          "not-found",
          `No META on ${io.name}: ${why}`,
          "META is written at install: check that this is the META partition, or write it with writeMeta",
        );
      }
      throw new MetaError(
        "io",
        `META unreadable on ${io.name}: ${why}`,
        "Both copies are damaged, so the upgrade state is lost: rewrite META (the node then boots slot A)",
      );
    }
    const best = sound.reduce((a, b) => (generationOf(states[b]!) > generationOf(states[a]!) ? b : a));
    const chosen = states[best]!;
    if (!chosen.ok) throw new Error("unreachable");
    const otherIndex = 1 - best;
    const other = states[otherIndex]!;
    const otherName = describeCopy(region.copies[otherIndex]!);
    const chosenName = `copy ${region.copies[best]!.label}`;
    const problems: string[] = [];
    if (!other.ok) {
      problems.push(
        other.blank
          ? `${otherName} holds no META (${other.problem}), ${chosenName} is used`
          : `${otherName} is damaged, ${chosenName} is used: ${other.problem}`,
      );
    } else if (other.generation < chosen.generation) {
      problems.push(
        `${otherName} is older (generation ${other.generation} < ${chosen.generation}): a write was cut short, ${chosenName} is used`,
      );
    } else if (!isDeepStrictEqual(other.entries, chosen.entries)) {
      problems.push(`${otherName} differs from ${chosenName} at the same generation, ${chosenName} is used`);
    }
    return {
      entries: chosen.entries,
      generation: chosen.generation,
      copy: region.copies[best]!.label,
      problems,
    };
  });
}

function generationOf(state: MetaCopyState): number {
  return state.ok ? state.generation : -1;
}
