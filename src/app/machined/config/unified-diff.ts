/** Lines of context around each change, as `diff -u` prints them. */
const CONTEXT = 3;

/**
 * Above this many line pairs the diff gives up aligning lines and shows the whole file replaced:
 * the LCS table costs old × new cells, and a config that large changed beyond reading anyway.
 */
const MAX_CELLS = 16_000_000;

type Op = { kind: " " | "-" | "+"; line: string; oldNo: number; newNo: number };

/**
 * A unified diff of two texts, line by line, with `--- a` / `+++ b` headers and `@@` hunks of
 * three lines of context; empty when the texts are equal. What `apply --dry-run` shows: the format
 * every reviewer reads, computed here (a longest-common-subsequence alignment) because configs are
 * small and a dependency for it would weigh more than these lines.
 */
export function unifiedDiff(
  before: string,
  after: string,
  options: { from?: string; to?: string } = {},
): string {
  if (before === after) return "";
  const a = splitLines(before);
  const b = splitLines(after);
  const ops = align(a, b);
  const hunks: string[] = [];
  let i = 0;
  while (i < ops.length) {
    if (ops[i]!.kind === " ") {
      i++;
      continue;
    }
    const start = Math.max(0, i - CONTEXT);
    // Extend the hunk while the next change is within 2×CONTEXT lines.
    let end = i;
    for (;;) {
      while (end < ops.length && ops[end]!.kind !== " ") end++;
      let next = end;
      while (next < ops.length && ops[next]!.kind === " ") next++;
      if (next < ops.length && next - end <= 2 * CONTEXT) end = next;
      else break;
    }
    const stop = Math.min(ops.length, end + CONTEXT);
    const slice = ops.slice(start, stop);
    const oldLines = slice.filter((op) => op.kind !== "+").length;
    const newLines = slice.filter((op) => op.kind !== "-").length;
    const first = ops[start]!;
    const oldStart = oldLines === 0 ? first.oldNo - 1 : first.oldNo;
    const newStart = newLines === 0 ? first.newNo - 1 : first.newNo;
    hunks.push(`@@ -${oldStart},${oldLines} +${newStart},${newLines} @@`);
    for (const op of slice) hunks.push(`${op.kind}${op.line}`);
    i = stop;
  }
  return [`--- ${options.from ?? "a"}`, `+++ ${options.to ?? "b"}`, ...hunks].join("\n") + "\n";
}

function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** The edit script from `a` to `b`, each op numbered by its (1-based) line in the old and new text. */
function align(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const ops: Op[] = [];
  if (n * m > MAX_CELLS) {
    for (const [k, line] of a.entries()) ops.push({ kind: "-", line, oldNo: k + 1, newNo: 1 });
    for (const [k, line] of b.entries()) ops.push({ kind: "+", line, oldNo: n + 1, newNo: k + 1 });
    return ops;
  }
  // lcs[i][j]: length of the LCS of a[i..] and b[j..], row-major in one typed array.
  const width = m + 1;
  const lcs = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * width + j] =
        a[i] === b[j]
          ? lcs[(i + 1) * width + j + 1]! + 1
          : Math.max(lcs[(i + 1) * width + j]!, lcs[i * width + j + 1]!);
    }
  }
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({ kind: " ", line: a[i]!, oldNo: i + 1, newNo: j + 1 });
      i++;
      j++;
    } else if (i < n && (j === m || lcs[(i + 1) * width + j]! >= lcs[i * width + j + 1]!)) {
      // Deletions before insertions, as diff -u prints a replaced line.
      ops.push({ kind: "-", line: a[i]!, oldNo: i + 1, newNo: j + 1 });
      i++;
    } else {
      ops.push({ kind: "+", line: b[j]!, oldNo: i + 1, newNo: j + 1 });
      j++;
    }
  }
  return ops;
}
