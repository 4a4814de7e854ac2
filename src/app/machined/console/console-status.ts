import type { ResourceStore } from "../../../runtime/index.ts";
import { HOSTNAME_ID, Hostname } from "../resources/hostname.ts";
import { MACHINE_STATUS_ID, MachineStatus } from "../resources/machine-status.ts";
import { NODE_ADDRESSES_ID, NodeAddresses } from "../resources/node-addresses.ts";
import { apiFingerprintFromLine } from "./api-fingerprint.ts";
import { type ConsoleView, INITIAL_CONSOLE_VIEW } from "./console-screen.ts";

/** The service whose log announces the maintenance-mode certificate fingerprint. */
const APID_SERVICE_ID = "apid";

/** What {@link ConsoleStatus.watch} reads of machined. */
export interface ConsoleStatusSource {
  readonly store: Pick<ResourceStore, "get" | "subscribe">;
  /** The node's name: the Hostname resource's, else the platform's. */
  hostname(): string;
}

/** The current {@link ConsoleView} and its changes: what a console screen draws from. */
export interface ConsoleViewSource {
  readonly view: ConsoleView;
  /** Calls `listener` after every change of `view`; returns the function that stops it. */
  onChange(listener: () => void): () => void;
}

/**
 * What machined's console screen shows, kept current without polling: the stage and readiness
 * (MachineStatus), the addresses (NodeAddresses) and the name (Hostname) from the resource store,
 * and the API certificate fingerprint from apid's log lines as they are stored (`offerLog`). Made
 * before machined exists (the log manager that feeds it comes first), then `watch`ed.
 */
export class ConsoleStatus implements ConsoleViewSource {
  #view: ConsoleView = INITIAL_CONSOLE_VIEW;
  readonly #listeners = new Set<() => void>();

  get view(): ConsoleView {
    return this.#view;
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Reads a stored log line: apid's newest fingerprint wins (a restarted apid serves a new certificate). */
  offerLog(serviceId: string, line: string): void {
    if (serviceId !== APID_SERVICE_ID) return;
    const apiFingerprint = apiFingerprintFromLine(line);
    if (apiFingerprint !== undefined) this.#set({ apiFingerprint });
  }

  /** Follows machined's resources until the returned function is called; reads them once now. */
  watch(source: ConsoleStatusSource): () => void {
    const refresh = () => {
      const status = source.store.get(MachineStatus, MACHINE_STATUS_ID)?.spec;
      this.#set({
        hostname: source.hostname(),
        addresses: source.store.get(NodeAddresses, NODE_ADDRESSES_ID)?.spec.addresses ?? [],
        ...(status
          ? {
              stage: status.stage,
              ready: status.ready,
              waitingFor: status.ready ? [] : status.unmetConditions.map((c) => c.name),
            }
          : {}),
      });
    };
    // Store listeners run inside the write: read the committed state just after it instead. A
    // screen is a courtesy: nothing it reads may throw out of a microtask of PID 1.
    const later = () =>
      queueMicrotask(() => {
        try {
          refresh();
        } catch {
          // the store closed meanwhile: machined is stopping
        }
      });
    const stops = [
      source.store.subscribe(MachineStatus, { id: MACHINE_STATUS_ID, onEvent: later }),
      source.store.subscribe(NodeAddresses, { id: NODE_ADDRESSES_ID, onEvent: later }),
      source.store.subscribe(Hostname, { id: HOSTNAME_ID, onEvent: later }),
    ];
    refresh();
    return () => {
      for (const stop of stops) stop();
    };
  }

  #set(change: Partial<ConsoleView>): void {
    const next = { ...this.#view, ...change };
    if (JSON.stringify(next) === JSON.stringify(this.#view)) return;
    this.#view = next;
    for (const listener of [...this.#listeners]) listener();
  }
}
