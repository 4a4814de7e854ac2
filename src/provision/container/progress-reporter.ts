/** Writes one progress line; what createCluster and destroyCluster report through. */
export type Progress = (message: string) => void;

/**
 * A progress writer that stamps each line with the time since it was made (`[+2.1s] building the
 * node image…`), so a slow step is visible where it happens.
 */
export function progressReporter(
  stream: { write(text: string): unknown } = process.stderr,
  start = performance.now(),
): Progress {
  return (message) => stream.write(`[+${((performance.now() - start) / 1000).toFixed(1)}s] ${message}\n`);
}
