/**
 * An AbortSignal that aborts on Ctrl-C (SIGINT), for commands that follow a stream: the first
 * Ctrl-C ends the streams cleanly (exit code 0, connections closed) instead of killing the
 * process mid-write. `dispose()` removes the handler, so a second Ctrl-C kills as usual.
 */
export function interruptSignal(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  process.once("SIGINT", onInterrupt);
  return { signal: controller.signal, dispose: () => process.off("SIGINT", onInterrupt) };
}
