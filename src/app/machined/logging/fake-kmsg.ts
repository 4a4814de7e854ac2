import type { KmsgReader } from "./kernel-log-source.ts";

/** A /dev/kmsg stand-in for tests: what `push` adds is read one record per read, in order. */
export interface FakeKmsg extends KmsgReader {
  push(...records: string[]): void;
  readonly closed: boolean;
}

/**
 * A fake kernel log holding `records`: `read` hands out one per call and undefined when none is
 * waiting, as a non-blocking /dev/kmsg does, so tests never touch the host's kernel log.
 */
export function fakeKmsg(records: readonly string[] = []): FakeKmsg {
  const queue = [...records];
  let closed = false;
  return {
    get closed() {
      return closed;
    },
    read: () => queue.shift(),
    close: () => {
      closed = true;
    },
    push: (...more) => void queue.push(...more),
  };
}
