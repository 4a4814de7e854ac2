import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { hostname as osHostname } from "node:os";
import { join } from "node:path";
import { type ClusterConfig, findDocument } from "../../../machinery/config/index.ts";
import { isSteleError, SteleError } from "../../../machinery/errors.ts";
import { issueEtcdCertificates } from "../../../machinery/pki/etcd-certificates.ts";
import type { ResourceStore } from "../../../runtime/index.ts";
import type { LoadedConfig } from "../config/config-store.ts";
import { HOSTNAME_ID, Hostname } from "../resources/hostname.ts";
import { Member } from "../resources/member.ts";
import { NODE_ADDRESSES_ID, NodeAddresses } from "../resources/node-addresses.ts";
import { type Clock, sleep, systemClock } from "../system/clock.ts";
import { withHealthTiming } from "../system/health-check.ts";
import type { LogSink } from "../system/runner.ts";
import type { Service } from "../system/service.ts";
import type { Supervisor } from "../system/supervisor.ts";
import { etcdAdvertisedAddress } from "./advertised-address.ts";
import type { EtcdApi } from "./etcd-api.ts";
import { etcdArgs, etcdUrl, localClientUrl } from "./etcd-args.ts";
import {
  ETCD_CLIENT_PORT,
  ETCD_DATA_SUBDIR,
  ETCD_PEER_PORT,
  ETCD_PKI_FILES,
  ETCD_RECOVER_SUBDIR,
  ETCD_RESTORED_DIR,
  ETCD_SECRETS_SUBDIR,
  ETCD_SERVICE_ID,
  ETCD_SNAPSHOT_FILE,
} from "./etcd-constants.ts";
import type { EtcdAlarmInfo, EtcdControl, EtcdMemberInfo, EtcdMemberStatusInfo } from "./etcd-control.ts";
import type { EtcdLauncher, EtcdRunSpec } from "./etcd-launcher.ts";
import { type EtcdStartPlan, joinEtcdCluster, waitForEtcdStart } from "./etcd-start.ts";
import { Etcd3Api, type EtcdClientTls, formatMemberId } from "./etcd3-api.ts";

/** How long a membership change is retried while etcd's quorum check refuses it (5 s connectivity, plus margin). */
const QUORUM_SETTLE_MS = 15_000;

/** The supervisor's calls NodeEtcd makes: stop and start the etcd service (leave). */
export type EtcdServiceControl = Pick<Supervisor, "start" | "stop">;

/** The resources NodeEtcd reads: Hostname, NodeAddresses, Member. */
export type EtcdResourceReader = Pick<ResourceStore, "get" | "list">;

/** Options of {@link NodeEtcd}. */
export interface NodeEtcdOptions {
  /** machined's state dir (`/system`): certificates go to `<stateDir>/secrets/etcd`. */
  stateDir: string;
  /** EPHEMERAL (`/var`): data in `<varDir>/lib/etcd`, an uploaded snapshot in `<varDir>/lib/etcd-recover`. */
  varDir: string;
  /** The running config (undefined in maintenance mode). */
  config: () => LoadedConfig | undefined;
  /** machined's resources; a getter, so NodeEtcd can be made before machined. */
  store: () => EtcdResourceReader;
  /** machined's supervisor; a getter for the same reason. */
  supervisor: () => EtcdServiceControl;
  /** Writes one line to etcd's service log (what shows in MachineStatus while etcd waits). */
  log: (message: string) => void;
  /** How etcd is started: a container on a node, a process in tests. */
  launcher: EtcdLauncher;
  /** Opens a client; {@link Etcd3Api} by default (tests of the logic pass a fake). */
  connect?: (endpoints: readonly string[], tls: EtcdClientTls) => EtcdApi;
  clock?: Clock;
  /** Pause between join attempts (2 s) and interval of the waiting message (10 s). */
  retryMs?: number;
  reminderMs?: number;
}

/** What NodeEtcd knows of this node when it starts etcd. */
interface NodeFacts {
  readonly cluster: ClusterConfig;
  readonly name: string;
  readonly addresses: readonly string[];
  readonly advertised: string;
  readonly peerUrl: string;
  readonly localUrl: string;
}

/**
 * This node's etcd: the `etcd` service (certificates, the start decision, the container) and the
 * {@link EtcdControl} the machine API calls. A control plane with no etcd data waits until
 * `stelectl bootstrap` makes it the first member or until it can join a running member by itself;
 * machined talks to its own member over TLS with a client certificate from the cluster's etcd CA.
 */
export class NodeEtcd implements EtcdControl {
  /** The `etcd` service, for the supervisor. */
  readonly service: Service;
  readonly #options: NodeEtcdOptions;
  readonly #clock: Clock;
  readonly #dataDir: string;
  readonly #pkiDir: string;
  readonly #recoverDir: string;
  readonly #connect: (endpoints: readonly string[], tls: EtcdClientTls) => EtcdApi;
  readonly #waiters = new Set<() => void>();
  #bootstrapRequested = false;
  /** Set while a bootstrap call checks and restores, so a second call is refused meanwhile. */
  #bootstrapping = false;
  #left = false;
  #runSpec: EtcdRunSpec | undefined;
  #tls: EtcdClientTls | undefined;
  #local: { url: string; api: EtcdApi } | undefined;
  /** Set after joining as a learner, until the promotion to a voting member went through. */
  #learner: { id: bigint; through: string } | undefined;

  constructor(options: NodeEtcdOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#dataDir = join(options.varDir, ETCD_DATA_SUBDIR);
    this.#pkiDir = join(options.stateDir, ETCD_SECRETS_SUBDIR);
    this.#recoverDir = join(options.varDir, ETCD_RECOVER_SUBDIR);
    this.#connect = options.connect ?? ((endpoints, tls) => new Etcd3Api(endpoints, { tls }));
    this.service = {
      id: ETCD_SERVICE_ID,
      dependsOn: [...options.launcher.dependsOn],
      runner: options.launcher.runner(() => {
        if (!this.#runSpec) {
          throw new SteleError(
            "internal",
            "etcd was started before its flags were decided",
            "Report this bug",
          );
        }
        return this.#runSpec;
      }),
      restart: "always",
      // etcd flushes and closes its WAL on SIGTERM; a member of a loaded cluster may take seconds.
      stopTimeoutMs: 20_000,
      skip: () => this.#skipReason(),
      prepare: (signal) => this.#prepare(signal),
      health: {
        ...withHealthTiming({ initialDelayMs: 200, intervalMs: 1_000, timeoutMs: 2_000 }),
        check: async () => {
          await (await this.#localApi()).status();
          if (this.#learner !== undefined) await this.#promote(this.#learner);
          // etcd answers on its data: a bootstrap asked for is done.
          if (this.#bootstrapRequested && this.hasData()) this.#bootstrapRequested = false;
        },
      },
    };
  }

  /**
   * Promotes this node from learner to voting member, through the member it joined by (a learner
   * serves no membership calls itself). etcd refuses until the learner has caught up with the leader:
   * that is not a failure, the next health check tries again. Once promoted (or found not to be a
   * learner any more), nothing is left to do.
   */
  async #promote(learner: { id: bigint; through: string }): Promise<void> {
    const api = this.#connect([learner.through], this.#clientTls());
    try {
      await api.memberPromote(learner.id);
      this.#log(`Promoted to a voting etcd member (${formatMemberId(learner.id)})`);
      this.#learner = undefined;
    } catch (error) {
      const message = isSteleError(error) ? error.message : String(error);
      if (/not a learner/i.test(message)) this.#learner = undefined;
      else if (!/in sync with( the)? leader|not ready|catch/i.test(message)) {
        this.#log(`Cannot promote this etcd learner yet: ${message}`);
      }
    } finally {
      api.close();
    }
  }

  /** Where etcd keeps its data, as machined sees it. */
  get dataDir(): string {
    return this.#dataDir;
  }

  /** Whether etcd's data directory holds a member. */
  hasData(): boolean {
    return existsSync(join(this.#dataDir, "member"));
  }

  async bootstrap(options: { recover: boolean; skipHashCheck: boolean }): Promise<void> {
    this.#controlPlane("bootstrap etcd");
    if (this.#left) throw leftError("bootstrap etcd");
    if (this.hasData()) {
      throw new SteleError(
        "failed-precondition",
        `etcd is already bootstrapped on this node: ${this.#dataDir} holds a member`,
        "Nothing to do: it runs on its data. To start a new cluster from scratch, reset the control planes first (stelectl reset)",
      );
    }
    if (this.#bootstrapRequested || this.#bootstrapping) {
      throw new SteleError(
        "failed-precondition",
        "etcd is already being bootstrapped on this node",
        "Wait for it: stelectl etcd status; stelectl services etcd",
      );
    }
    this.#bootstrapping = true;
    try {
      await this.#bootstrap(options);
    } finally {
      this.#bootstrapping = false;
    }
    this.#wake();
  }

  async #bootstrap(options: { recover: boolean; skipHashCheck: boolean }): Promise<void> {
    const facts = this.#facts();
    const running = await this.#runningPeer(facts);
    if (running) {
      throw new SteleError(
        "failed-precondition",
        `etcd already runs on ${running}: this node joins it by itself`,
        "Do not bootstrap again; every control plane joins the running cluster on its own (stelectl etcd members)",
      );
    }
    if (options.recover) {
      const snapshot = join(this.#recoverDir, ETCD_SNAPSHOT_FILE);
      if (!existsSync(snapshot)) {
        throw new SteleError(
          "failed-precondition",
          `Cannot recover etcd: no snapshot was uploaded to ${snapshot}`,
          "Pass the snapshot file: stelectl bootstrap --recover-from FILE",
        );
      }
      const restored = join(this.#recoverDir, ETCD_RESTORED_DIR);
      rmSync(restored, { recursive: true, force: true });
      this.#log(`Restoring etcd from the uploaded snapshot ${snapshot}`);
      await this.#options.launcher.restore(
        {
          image: facts.cluster.etcd.image,
          name: facts.name,
          initialCluster: `${facts.name}=${facts.peerUrl}`,
          peerUrl: facts.peerUrl,
          skipHashCheck: options.skipHashCheck,
        },
        { log: this.#logSink(), signal: AbortSignal.timeout(5 * 60_000) },
      );
      if (!existsSync(join(restored, "member"))) {
        throw new SteleError(
          "internal",
          `Cannot recover etcd: the restore left no member in ${restored}`,
          "Look at etcd's log: stelectl logs etcd",
        );
      }
      mkdirSync(this.#dataDir, { recursive: true, mode: 0o700 });
      emptyDirectory(this.#dataDir);
      renameSync(join(restored, "member"), join(this.#dataDir, "member"));
      rmSync(restored, { recursive: true, force: true });
      // The data now lives in etcd; a copy of every secret of the cluster is not left lying around.
      rmSync(snapshot, { force: true });
      this.#log("etcd snapshot restored: etcd starts on it as a cluster of one");
    } else {
      this.#bootstrapRequested = true;
      this.#log("Bootstrap requested: etcd starts a new cluster with this node as its only member");
    }
  }

  async uploadSnapshot(chunks: AsyncIterable<Uint8Array>): Promise<void> {
    this.#controlPlane("upload an etcd snapshot");
    mkdirSync(this.#recoverDir, { recursive: true, mode: 0o700 });
    const target = join(this.#recoverDir, ETCD_SNAPSHOT_FILE);
    const partial = `${target}.part`;
    const file = await open(partial, "w", 0o600);
    let bytes = 0;
    try {
      for await (const chunk of chunks) {
        await file.write(chunk);
        bytes += chunk.byteLength;
      }
      await file.sync();
    } catch (error) {
      await file.close();
      rmSync(partial, { force: true });
      throw error;
    }
    await file.close();
    if (bytes === 0) {
      rmSync(partial, { force: true });
      throw new SteleError(
        "invalid-argument",
        "Cannot store the etcd snapshot: it is empty",
        "Pass a snapshot taken with stelectl etcd snapshot",
      );
    }
    renameSync(partial, target);
    this.#log(`etcd snapshot uploaded: ${bytes} bytes in ${target}`);
  }

  async members(options: { local: boolean }): Promise<EtcdMemberInfo[]> {
    return this.#withLocal("list the etcd members", (api) =>
      api.memberList({ linearizable: !options.local }),
    );
  }

  async status(): Promise<EtcdMemberStatusInfo> {
    return this.#withLocal("get the etcd status", (api) => api.status());
  }

  async *snapshot(): AsyncIterable<Uint8Array> {
    this.#controlPlane("take an etcd snapshot");
    yield* (await this.#localApi()).snapshot();
  }

  async leave(): Promise<void> {
    this.#controlPlane("leave the etcd cluster");
    if (this.#left) throw leftError("leave the etcd cluster");
    await this.#withLocal("leave the etcd cluster", async (api) => {
      const status = await api.status();
      const members = await api.memberList();
      if (members.length <= 1) {
        throw new SteleError(
          "failed-precondition",
          "Cannot leave the etcd cluster: this node is its only member, leaving would destroy it",
          "To take the cluster down, reset its nodes (stelectl reset); to keep a backup first, stelectl etcd snapshot FILE",
        );
      }
      if (status.leader === status.memberId) await this.#moveLeadership(api, status.memberId, members);
      // Through the other members: a member that applies its own removal stops before it answers.
      const others = members.filter((m) => m.id !== status.memberId).flatMap((m) => m.clientUrls);
      const through = this.#connect(others, this.#clientTls());
      try {
        await this.#whileQuorumSettles(() => through.memberRemove(status.memberId));
      } finally {
        through.close();
      }
      this.#log(`Left the etcd cluster: member ${formatMemberId(status.memberId)} removed`);
    });
    this.#left = true;
    this.#dropLocal();
    const supervisor = this.#options.supervisor();
    await supervisor.stop(ETCD_SERVICE_ID);
    emptyDirectory(this.#dataDir);
    this.#log(`etcd data wiped from ${this.#dataDir}: etcd stays off until the next boot`);
    // Started again only to show why it does not run (skipped: left the cluster).
    await supervisor.start(ETCD_SERVICE_ID);
  }

  async removeMember(id: bigint): Promise<void> {
    await this.#withLocal(`remove etcd member ${formatMemberId(id)}`, async (api) => {
      const status = await api.status();
      if (status.memberId === id) {
        throw new SteleError(
          "failed-precondition",
          `Cannot remove etcd member ${formatMemberId(id)}: it is this node's own`,
          "To take this node out of the cluster, run stelectl etcd leave on it",
        );
      }
      await this.#whileQuorumSettles(() => api.memberRemove(id));
      this.#log(`Removed etcd member ${formatMemberId(id)}`);
    });
  }

  async forfeitLeadership(): Promise<string> {
    return this.#withLocal("forfeit etcd leadership", async (api) => {
      const status = await api.status();
      if (status.leader !== status.memberId) return "";
      return this.#moveLeadership(api, status.memberId, await api.memberList());
    });
  }

  async defragment(): Promise<void> {
    await this.#withLocal("defragment etcd", (api) => api.defragment());
  }

  async alarms(): Promise<EtcdAlarmInfo[]> {
    return this.#withLocal("list the etcd alarms", (api) => api.alarms());
  }

  async disarmAlarms(): Promise<EtcdAlarmInfo[]> {
    return this.#withLocal("disarm the etcd alarms", async (api) => {
      const active = await api.alarms();
      for (const alarm of active) await api.disarm(alarm);
      if (active.length > 0) this.#log(`Disarmed etcd alarms: ${active.map((a) => a.alarm).join(", ")}`);
      return active;
    });
  }

  /** Closes the client connection (machined's shutdown). */
  close(): void {
    this.#dropLocal();
  }

  /** Hands leadership to another started voting member; returns its name. */
  async #moveLeadership(api: EtcdApi, self: bigint, members: EtcdMemberInfo[]): Promise<string> {
    const target = members.find(
      (m) => m.id !== self && !m.isLearner && m.name !== "" && m.clientUrls.length > 0,
    );
    if (!target) {
      throw new SteleError(
        "failed-precondition",
        "Cannot hand over etcd leadership: no other started voting member",
        "Wait until the other members are started: stelectl etcd members",
      );
    }
    await api.moveLeader(target.id);
    this.#log(`etcd leadership handed to ${target.name}`);
    return target.name;
  }

  /**
   * Runs a membership change, again while etcd refuses it as "unhealthy cluster": etcd allows one
   * only once enough members have been connected for 5 s, which is not yet the case just after a
   * member started or leadership moved. Gives up after {@link QUORUM_SETTLE_MS}.
   */
  async #whileQuorumSettles<T>(change: () => Promise<T>): Promise<T> {
    const deadline = this.#clock.now() + QUORUM_SETTLE_MS;
    for (;;) {
      try {
        return await change();
      } catch (error) {
        const transient = isSteleError(error) && error.message.includes("unhealthy cluster");
        if (!transient || this.#clock.now() >= deadline) throw error;
      }
      await sleep(this.#clock, 500, new AbortController().signal);
    }
  }

  #skipReason(): string | undefined {
    const unavailable = this.#options.launcher.unavailable();
    if (unavailable) return unavailable;
    const config = this.#options.config();
    if (config?.parsed.machineConfig.type !== "controlplane") return "not a control-plane node";
    if (this.#left) return "this node left the etcd cluster: it runs etcd again after the next boot";
    return undefined;
  }

  async #prepare(signal: AbortSignal): Promise<void> {
    const facts = this.#facts();
    await this.#writeCertificates(facts);
    mkdirSync(this.#dataDir, { recursive: true, mode: 0o700 });
    const plan = await waitForEtcdStart({
      hasData: () => this.hasData(),
      bootstrapRequested: () => this.#bootstrapRequested,
      tryJoin: () =>
        joinEtcdCluster({
          candidates: this.#candidates(facts),
          name: facts.name,
          peerUrl: facts.peerUrl,
          connect: (endpoints) => this.#connect(endpoints, this.#clientTls()),
          log: (message) => this.#log(message),
        }),
      changed: (wakeSignal) => this.#changed(wakeSignal),
      log: (message) => this.#log(message),
      clock: this.#clock,
      signal,
      ...(this.#options.retryMs === undefined ? {} : { retryMs: this.#options.retryMs }),
      ...(this.#options.reminderMs === undefined ? {} : { reminderMs: this.#options.reminderMs }),
    });
    this.#runSpec = { image: facts.cluster.etcd.image, args: this.#args(facts, plan) };
    this.#learner = plan.kind === "join" ? { id: plan.memberId, through: plan.through } : undefined;
    // A bootstrap request holds until etcd has written its data: a first start that fails before
    // that (a bad flag, a missing image) must bootstrap again, not go back to waiting.
    if (plan.kind === "restart") this.#bootstrapRequested = false;
    this.#log(describePlan(plan, facts));
  }

  #args(facts: NodeFacts, plan: EtcdStartPlan): string[] {
    const self = `${facts.name}=${facts.peerUrl}`;
    return etcdArgs({
      name: facts.name,
      advertisedAddress: facts.advertised,
      dataDir: this.#options.launcher.dataDir,
      pkiDir: this.#options.launcher.pkiDir,
      initialCluster: plan.kind === "join" ? plan.initialCluster : self,
      // On data etcd ignores both; "existing" makes a member whose WAL is lost fail instead of
      // founding a second cluster of one.
      initialClusterState: plan.kind === "bootstrap" ? "new" : "existing",
      ...(facts.cluster.etcd.extraArgs ? { extraArgs: facts.cluster.etcd.extraArgs } : {}),
    });
  }

  /** Issues the node's certificates from the etcd CA and writes them for etcd (0600 in a 0700 dir). */
  async #writeCertificates(facts: NodeFacts): Promise<void> {
    const ca = facts.cluster.etcd.ca;
    if (!ca.key) {
      throw new SteleError(
        "invalid-config",
        "Cannot issue etcd certificates: the config has no etcd CA key (cluster.etcd.ca.key)",
        "A control plane's config carries the etcd CA with its key: regenerate it with stelectl gen config",
      );
    }
    const certs = await issueEtcdCertificates(
      { crt: ca.crt, key: ca.key },
      { hostname: facts.name, addresses: facts.addresses },
    );
    mkdirSync(this.#pkiDir, { recursive: true, mode: 0o700 });
    const files: Record<string, string> = {
      [ETCD_PKI_FILES.ca]: ca.crt,
      [ETCD_PKI_FILES.serverCert]: certs.server.crt,
      [ETCD_PKI_FILES.serverKey]: certs.server.key,
      [ETCD_PKI_FILES.peerCert]: certs.peer.crt,
      [ETCD_PKI_FILES.peerKey]: certs.peer.key,
      [ETCD_PKI_FILES.clientCert]: certs.client.crt,
      [ETCD_PKI_FILES.clientKey]: certs.client.key,
    };
    for (const [name, pem] of Object.entries(files)) {
      const path = join(this.#pkiDir, name);
      writeFileSync(`${path}.tmp`, pem, { mode: 0o600 });
      renameSync(`${path}.tmp`, path);
    }
    this.#tls = { ca: ca.crt, cert: certs.client.crt, key: certs.client.key };
    this.#dropLocal();
  }

  /** machined's client identity: the one issued at the last start, or the files it wrote. */
  #clientTls(): EtcdClientTls {
    if (this.#tls) return this.#tls;
    try {
      const read = (name: string) => readFileSync(join(this.#pkiDir, name), "utf8");
      this.#tls = {
        ca: read(ETCD_PKI_FILES.ca),
        cert: read(ETCD_PKI_FILES.clientCert),
        key: read(ETCD_PKI_FILES.clientKey),
      };
      return this.#tls;
    } catch {
      throw notRunning("etcd has not been started on this node yet: it has no certificates");
    }
  }

  /** Issues certificates if etcd never started (a bootstrap probing other members before that). */
  async #ensureClientTls(facts: NodeFacts): Promise<EtcdClientTls> {
    if (!this.#tls && !existsSync(join(this.#pkiDir, ETCD_PKI_FILES.clientKey)))
      await this.#writeCertificates(facts);
    return this.#clientTls();
  }

  async #localApi(): Promise<EtcdApi> {
    const url = this.#local?.url ?? this.#facts().localUrl;
    if (!this.#local) this.#local = { url, api: this.#connect([url], this.#clientTls()) };
    return this.#local.api;
  }

  #dropLocal(): void {
    this.#local?.api.close();
    this.#local = undefined;
  }

  /** Runs an operation on this node's member, explaining an unreachable etcd by the node's state. */
  async #withLocal<T>(what: string, operation: (api: EtcdApi) => Promise<T>): Promise<T> {
    this.#controlPlane(what);
    try {
      return await operation(await this.#localApi());
    } catch (error) {
      if (isSteleError(error) && error.code === "unavailable") {
        if (this.#left) throw leftError(what);
        if (!this.hasData() && !this.#bootstrapRequested) {
          throw notRunning(
            `Cannot ${what}: etcd is not running on this node: it waits to join a cluster or for stelectl bootstrap`,
          );
        }
      }
      throw error;
    }
  }

  /** The client URL of another control plane whose etcd answers, if any. */
  async #runningPeer(facts: NodeFacts): Promise<string | undefined> {
    const tls = await this.#ensureClientTls(facts);
    const answers = await Promise.all(
      this.#candidates(facts).map(async (endpoint) => {
        const api = this.#connect([endpoint], tls);
        try {
          await api.memberList({ linearizable: false });
          return endpoint;
        } catch {
          return undefined;
        } finally {
          api.close();
        }
      }),
    );
    return answers.find((answer) => answer !== undefined);
  }

  /**
   * Client URLs where a running member may be: the host of the cluster endpoint (the first control
   * plane, or a load balancer in front of them) and the addresses of the control planes this node
   * knows as Members, never this node's own.
   */
  #candidates(facts: NodeFacts): string[] {
    const own = new Set([...facts.addresses, facts.advertised, "127.0.0.1", "::1"]);
    const hosts: string[] = [];
    const endpointHost = new URL(facts.cluster.controlPlane.endpoint).hostname.replace(/^\[|\]$/g, "");
    hosts.push(endpointHost);
    for (const member of this.#options.store().list(Member)) {
      if (member.spec.machineType !== "controlplane" || member.metadata.id === facts.name) continue;
      hosts.push(...member.spec.addresses.map((address) => address.split("/")[0]!));
    }
    return [...new Set(hosts)]
      .filter((host) => host !== "" && !own.has(host))
      .map((host) => etcdUrl(host, ETCD_CLIENT_PORT));
  }

  #facts(): NodeFacts {
    const config = this.#options.config();
    const cluster = config ? findDocument(config.parsed.documents, "ClusterConfig") : undefined;
    if (!config || !cluster) {
      throw new SteleError(
        "failed-precondition",
        "etcd cannot start: the node has no cluster config",
        "Apply a control-plane config: stelectl apply-config",
      );
    }
    const store = this.#options.store();
    const name = store.get(Hostname, HOSTNAME_ID)?.spec.hostname || osHostname();
    const nodeAddresses = store.get(NodeAddresses, NODE_ADDRESSES_ID)?.spec.addresses ?? [];
    const advertised = etcdAdvertisedAddress(nodeAddresses, {
      advertisedSubnets: cluster.etcd.advertisedSubnets,
    });
    if (!advertised) {
      const subnets = cluster.etcd.advertisedSubnets;
      throw new SteleError(
        "unavailable",
        subnets
          ? `etcd has no address to advertise: no node address is in ${subnets.join(", ")}`
          : "etcd has no address to advertise: the node has no IPv4 address besides loopback",
        "Check the node's addresses (stelectl get nodeaddresses) and cluster.etcd.advertisedSubnets",
      );
    }
    return {
      cluster,
      name,
      addresses: nodeAddresses.map((address) => address.split("/")[0]!),
      advertised,
      peerUrl: etcdUrl(advertised, ETCD_PEER_PORT),
      localUrl: localClientUrl(advertised),
    };
  }

  #controlPlane(what: string): void {
    const config = this.#options.config();
    if (config?.parsed.machineConfig.type !== "controlplane") {
      throw new SteleError(
        "failed-precondition",
        `Cannot ${what}: ${config ? "this node is a worker" : "this node has no config"}: etcd runs only on control-plane nodes`,
        "Run the command against a control-plane node (--nodes)",
      );
    }
    const unavailable = this.#options.launcher.unavailable();
    if (unavailable) {
      throw new SteleError(
        "failed-precondition",
        `Cannot ${what}: ${unavailable}`,
        "etcd runs on nodes started as a sandbox or on metal",
      );
    }
  }

  #changed(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.#waiters.delete(wake);
        signal.removeEventListener("abort", wake);
        resolve();
      };
      this.#waiters.add(wake);
      signal.addEventListener("abort", wake, { once: true });
    });
  }

  #wake(): void {
    for (const wake of [...this.#waiters]) wake();
  }

  #log(message: string): void {
    this.#options.log(message);
  }

  #logSink(): LogSink {
    return { write: (line) => this.#options.log(line) };
  }
}

function describePlan(plan: EtcdStartPlan, facts: NodeFacts): string {
  switch (plan.kind) {
    case "restart":
      return `Starting etcd on its data as ${facts.name} (${facts.peerUrl})`;
    case "bootstrap":
      return `Starting a new etcd cluster with ${facts.name} (${facts.peerUrl}) as its only member`;
    case "join":
      return `Joining the etcd cluster through ${plan.through} as ${facts.name} (${facts.peerUrl}): ${plan.initialCluster}`;
  }
}

function leftError(what: string): SteleError {
  return new SteleError(
    "failed-precondition",
    `Cannot ${what}: this node left the etcd cluster`,
    "etcd runs again on this node after its next boot (stelectl reboot), when it joins the cluster anew",
  );
}

function notRunning(message: string): SteleError {
  return new SteleError(
    "unavailable",
    message,
    "On the first control plane run stelectl bootstrap; others join by themselves (stelectl services etcd)",
  );
}

/** Removes everything inside a directory, keeping the directory (it is bound into etcd's container). */
function emptyDirectory(dir: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) rmSync(join(dir, entry), { recursive: true, force: true });
}
