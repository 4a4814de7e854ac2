import type { DhcpLease } from "../../../pkg/dhcp/index.ts";
import { type DhcpClock, type DhcpHostCalls, DhcpInterface, type OpenDhcpSocket } from "./dhcp-interface.ts";

/** Options of {@link DhcpNetwork}. */
export interface DhcpNetworkOptions {
  openSocket: OpenDhcpSocket;
  clock: DhcpClock;
  calls: DhcpHostCalls & { writeResolvConf: (text: string) => void };
  /** An interface's MAC address, or undefined when there is no such interface. */
  hardwareAddress: (name: string) => string | undefined;
  /** A console line (`eth0: DHCP lease …`). */
  log: (line: string) => void;
  random?: () => number;
}

/** What {@link DhcpNetwork.configure} is told: the interfaces to run DHCP on, and the static settings beside them. */
export interface DhcpTargets {
  interfaces: readonly string[];
  /** The config's nameservers: when there are any, they win and DHCP's are not written. */
  staticNameservers: readonly string[];
  /** Interfaces the static network gives an address: a stopped client leaves those addresses alone. */
  staticallyAddressed: readonly string[];
  /** Sent to servers (option 12). */
  hostname?: string;
}

/** A lease and the interface it is on, as {@link DhcpNetwork.leases} lists them. */
export interface InterfaceLease {
  name: string;
  state: string;
  lease: DhcpLease | undefined;
}

/**
 * DHCPv4 on a node's interfaces: one {@link DhcpInterface} per interface to configure, started and
 * stopped as configs come and go, and the nameservers of all leases in resolv.conf (unless the
 * config names its own). Nothing here blocks boot: clients run on timers and sockets, and a lease
 * that comes late is applied and announced whenever it comes (maintenance mode serves on it then).
 */
export class DhcpNetwork {
  readonly #options: DhcpNetworkOptions;
  readonly #running = new Map<string, DhcpInterface>();
  readonly #listeners = new Set<() => void>();
  #staticNameservers: readonly string[] = [];
  #resolvConf: string | undefined;

  constructor(options: DhcpNetworkOptions) {
    this.#options = options;
  }

  /**
   * Runs DHCP on exactly `targets.interfaces`: starts clients for new ones, stops the others and
   * removes their address (unless the static network now sets one there). Clients already running
   * go on with their lease. An interface that does not exist is logged and skipped.
   */
  configure(targets: DhcpTargets): void {
    const wanted = new Set(targets.interfaces);
    for (const [name, client] of this.#running) {
      if (wanted.has(name)) continue;
      client.stop();
      this.#running.delete(name);
      if (client.lease !== undefined && !targets.staticallyAddressed.includes(name)) {
        try {
          this.#options.calls.removeAddress(name);
        } catch (error) {
          this.#options.log(`${name}: error: remove ${client.lease.address}: ${(error as Error).message}`);
        }
      }
      this.#options.log(`${name}: DHCP stopped`);
    }
    this.#staticNameservers = targets.staticNameservers;
    for (const name of wanted) {
      if (this.#running.has(name)) continue;
      const hardwareAddress = this.#options.hardwareAddress(name);
      if (hardwareAddress === undefined) {
        this.#options.log(`${name}: error: DHCP not started: no such interface`);
        continue;
      }
      const client = new DhcpInterface({
        name,
        hardwareAddress,
        ...(targets.hostname === undefined ? {} : { hostname: targets.hostname }),
        openSocket: this.#options.openSocket,
        clock: this.#options.clock,
        calls: this.#options.calls,
        onLease: () => this.#changed(),
        log: (line) => this.#options.log(`${name}: ${line}`),
        ...(this.#options.random === undefined ? {} : { random: this.#options.random }),
      });
      this.#running.set(name, client);
      try {
        client.start();
        this.#options.log(`${name}: DHCP started (${hardwareAddress})`);
      } catch (error) {
        client.stop();
        this.#running.delete(name);
        this.#options.log(`${name}: error: DHCP not started: ${(error as Error).message}`);
      }
    }
    this.#changed();
  }

  /** Each interface DHCP runs on, its client state and its lease, in start order. */
  leases(): InterfaceLease[] {
    return [...this.#running].map(([name, client]) => ({ name, state: client.state, lease: client.lease }));
  }

  /** Calls `listener` after every change of a lease (bound, renewed, lost) or of the interfaces; returns the unsubscribe. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops every client, keeping the addresses (see {@link DhcpInterface.stop}). */
  close(): void {
    for (const client of this.#running.values()) client.stop();
    this.#running.clear();
    this.#listeners.clear();
  }

  #changed(): void {
    this.#writeResolvConf();
    for (const listener of this.#listeners) {
      try {
        listener();
      } catch (error) {
        this.#options.log(`error: DHCP listener: ${(error as Error).message}`);
      }
    }
  }

  /** resolv.conf from the leases, in interface order, when the config names no nameservers. */
  #writeResolvConf(): void {
    if (this.#staticNameservers.length > 0) {
      this.#resolvConf = undefined;
      return;
    }
    const leases = [...this.#running.values()].flatMap((client) => (client.lease ? [client.lease] : []));
    if (leases.length === 0 && this.#resolvConf === undefined) return;
    // glibc reads three nameservers at most.
    const servers = [...new Set(leases.flatMap((lease) => lease.dnsServers))].slice(0, 3);
    const domains = [...new Set(leases.flatMap((lease) => (lease.domainName ? [lease.domainName] : [])))];
    const text =
      (domains.length > 0 ? `search ${domains.join(" ")}\n` : "") +
      servers.map((server) => `nameserver ${server}\n`).join("");
    if (text === this.#resolvConf) return;
    try {
      this.#options.calls.writeResolvConf(text);
      this.#resolvConf = text;
    } catch (error) {
      this.#options.log(`error: resolv.conf: ${(error as Error).message}`);
    }
  }
}
