import { SteleError } from "./errors.ts";

/**
 * Milliseconds per duration unit. A day is 24 hours and a year 365 days: certificate lifetimes
 * are what these express, and there a calendar year (with its leap days) would only make
 * `1y` and `8760h` disagree, which Talos users type interchangeably.
 */
const UNIT_MS = {
  y: 365 * 24 * 3_600_000,
  d: 24 * 3_600_000,
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
} as const;

type Unit = keyof typeof UNIT_MS;

/** Units from largest to smallest, the order `formatDuration` writes them in. */
const UNITS_DESCENDING: readonly Unit[] = ["y", "d", "h", "m", "s", "ms"];

const UNIT_LIST = "ms, s, m, h, d, y";
const HINT = "Write a duration as numbers with units, e.g. 1y, 30d, 8760h, 90m or 1h30m";

/** One `<number><unit>` component; sticky, so components must follow each other with nothing between. */
const COMPONENT = /(\d+(?:\.\d*)?|\.\d+)(ms|[ydhms])/y;

/** Options of `parseDuration`. */
export interface ParseDurationOptions {
  /** Where the text came from (a flag such as `--crt-ttl`, a config path), named in errors. */
  label?: string;
}

/**
 * Parses a duration such as `8760h`, `90m`, `1y`, `30d`, `1h30m` or Go's `87600h0m0s` into
 * milliseconds. Components may be fractional (`1.5h`) and are summed; the result is rounded to
 * a whole millisecond. A bare `0` is accepted as Go does; any other number needs a unit, because
 * `--crt-ttl 365` is far more likely a mistake than 365 ms. Negative durations are refused: every
 * duration Stele takes is a lifetime or a timeout.
 */
export function parseDuration(text: string, options: ParseDurationOptions = {}): number {
  const where = options.label ? ` in ${options.label}` : "";
  const fail = (detail: string): never => {
    throw new SteleError(
      "invalid-argument",
      `Invalid duration ${JSON.stringify(text)}${where}: ${detail}`,
      HINT,
    );
  };
  const trimmed = text.trim();
  if (trimmed === "") fail("it is empty");
  if (trimmed === "0") return 0;
  if (trimmed.startsWith("-")) fail("durations cannot be negative");
  let total = 0;
  let position = 0;
  while (position < trimmed.length) {
    COMPONENT.lastIndex = position;
    const match = COMPONENT.exec(trimmed);
    if (!match) {
      const rest = trimmed.slice(position);
      fail(
        /^[\d.]+$/.test(rest)
          ? `the number ${rest} has no unit (${UNIT_LIST})`
          : `expected a number followed by a unit (${UNIT_LIST}) at ${JSON.stringify(rest)}`,
      );
    }
    const [, amount, unit] = match as unknown as [string, string, Unit];
    total += Number(amount) * UNIT_MS[unit];
    position = COMPONENT.lastIndex;
  }
  const rounded = Math.round(total);
  if (!Number.isSafeInteger(rounded)) fail("it is too long");
  return rounded;
}

/**
 * Writes a number of milliseconds in the shortest canonical form `parseDuration` reads back to
 * the same value: units from years down to milliseconds, zero components left out (`1h30m`,
 * `1y`, `0s`). Fractions of a millisecond are rounded, as `parseDuration` does.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) {
    throw new SteleError(
      "invalid-argument",
      `Cannot format duration: expected a non-negative number of milliseconds, got ${ms}`,
      "Pass the duration in milliseconds, as parseDuration returns it",
    );
  }
  let rest = Math.round(ms);
  if (rest === 0) return "0s";
  let text = "";
  for (const unit of UNITS_DESCENDING) {
    const count = Math.floor(rest / UNIT_MS[unit]);
    if (count > 0) {
      text += `${count}${unit}`;
      rest -= count * UNIT_MS[unit];
    }
  }
  return text;
}
