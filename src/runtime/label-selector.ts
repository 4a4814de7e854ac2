import { SteleError } from "../machinery/errors.ts";

/** One requirement of a label selector, as in Kubernetes. */
export interface LabelRequirement {
  readonly key: string;
  readonly operator: "equals" | "not-equals" | "in" | "not-in" | "exists" | "not-exists";
  /** One value for `equals`/`not-equals`, one or more for `in`/`not-in`, none otherwise. */
  readonly values: readonly string[];
}

/** A label selector: every requirement must hold (an empty selector matches everything). */
export type LabelSelector = readonly LabelRequirement[];

const KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;
const VALUE = /^[^\s,()=!]*$/;
const HINT = "Write requirements separated by commas, e.g. app=etcd,tier!=web,zone in (a,b),!legacy";

/**
 * Parses the selector syntax users already know from kubectl: `k=v`, `k==v`, `k!=v`,
 * `k in (a,b)`, `k notin (a,b)`, `k` (exists) and `!k` (does not exist), separated by commas.
 */
export function parseLabelSelector(text: string): LabelSelector {
  const requirements: LabelRequirement[] = [];
  for (const term of splitTerms(text)) requirements.push(parseTerm(term, text));
  return requirements;
}

/** Whether labels satisfy every requirement of a selector. */
export function matchesLabelSelector(
  selector: LabelSelector,
  labels: Readonly<Record<string, string>>,
): boolean {
  return selector.every(({ key, operator, values }) => {
    const has = Object.hasOwn(labels, key);
    const value = labels[key];
    switch (operator) {
      case "exists":
        return has;
      case "not-exists":
        return !has;
      case "equals":
      case "in":
        return has && values.includes(value as string);
      case "not-equals":
      case "not-in":
        // As in Kubernetes: a missing label is "not equal" to anything.
        return !has || !values.includes(value as string);
    }
    return false;
  });
}

/** Splits on commas outside parentheses, so `zone in (a,b)` stays one term. */
function splitTerms(text: string): string[] {
  if (text.trim() === "") return [];
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    const char = text[i];
    if (char === "(") depth++;
    else if (char === ")") depth--;
    else if ((char === "," && depth === 0) || i === text.length) {
      terms.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  return terms;
}

function parseTerm(term: string, text: string): LabelRequirement {
  const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(term);
  if (set) {
    const values = set[3]!.split(",").map((v) => v.trim());
    if (values.some((v) => v === "")) fail(text, `empty value in ${JSON.stringify(term)}`);
    return requirement(set[1]!, set[2] === "in" ? "in" : "not-in", values, text);
  }
  const comparison = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
  if (comparison) {
    const operator = comparison[2] === "!=" ? "not-equals" : "equals";
    return requirement(comparison[1]!, operator, [comparison[3]!], text);
  }
  if (term.startsWith("!")) return requirement(term.slice(1).trim(), "not-exists", [], text);
  return requirement(term, "exists", [], text);
}

function requirement(
  key: string,
  operator: LabelRequirement["operator"],
  values: string[],
  text: string,
): LabelRequirement {
  if (!KEY.test(key)) fail(text, `invalid key ${JSON.stringify(key)}`);
  for (const value of values) if (!VALUE.test(value)) fail(text, `invalid value ${JSON.stringify(value)}`);
  return { key, operator, values };
}

function fail(text: string, detail: string): never {
  throw new SteleError("invalid-argument", `Invalid label selector ${JSON.stringify(text)}: ${detail}`, HINT);
}

/** Checks a label key and value as the store accepts them, so that any label can be selected. */
export function checkLabel(key: string, value: string): void {
  if (!KEY.test(key) || !VALUE.test(value)) {
    throw new SteleError(
      "invalid-argument",
      `Invalid label: ${JSON.stringify(key)}=${JSON.stringify(value)}`,
      "Keys start with a letter or digit and use letters, digits, . _ / -; values have no spaces, commas, parentheses, = or !",
    );
  }
}
