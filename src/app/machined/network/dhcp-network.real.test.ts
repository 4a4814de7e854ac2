import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";

/**
 * A real exchange: dnsmasq in one network namespace, the DHCP adapter (real sockets bound by
 * SO_BINDTODEVICE, real ioctls) in another, joined by a veth pair. dnsmasq's shortest lease is two
 * minutes, so the child's clock can jump forward on request: renewal (T1) and expiry happen at once.
 */
const isRoot = process.getuid?.() === 0;
const hasTools = spawnSync("sh", ["-c", "command -v dnsmasq && command -v ip"]).status === 0;
const skip = !isRoot
  ? "needs root for network namespaces"
  : !hasTools
    ? "needs dnsmasq (dnsmasq-base) and ip"
    : false;

const id = `${process.pid % 100_000}`;
const SERVER_NS = `stele-dhcp-s${id}`;
const CLIENT_NS = `stele-dhcp-c${id}`;
const SERVER_IF = `dhs${id}`;
const CLIENT_IF = `dhc${id}`;

const here = import.meta.dirname;
const CHILD = `
  import { createInterface } from "node:readline";
  import { DhcpNetwork } from ${JSON.stringify(join(here, "dhcp-network.ts"))};
  import { systemDhcpOptions, monotonicClock } from ${JSON.stringify(join(here, "system-dhcp-options.ts"))};
  // The real clock, plus an offset that "jump" moves forward, firing the timers it passes.
  let offset = 0;
  const timers = new Set();
  const clock = {
    now: () => monotonicClock.now() + offset,
    setTimer(delay, fire) {
      const timer = { at: clock.now() + delay, fire, handle: setTimeout(() => { timers.delete(timer); fire(); }, delay) };
      timers.add(timer);
      return () => { clearTimeout(timer.handle); timers.delete(timer); };
    },
  };
  const [device, resolvConf] = process.argv.slice(-2);
  const say = (line) => process.stdout.write(line + "\\n");
  const dhcp = new DhcpNetwork({ ...systemDhcpOptions(resolvConf, (line) => say("log " + line)), clock });
  dhcp.subscribe(() => say("state " + JSON.stringify(dhcp.leases())));
  dhcp.configure({ interfaces: [device], staticNameservers: [], staticallyAddressed: [], hostname: "stele-test" });
  for await (const line of createInterface({ input: process.stdin })) {
    const [command, ms] = line.split(" ");
    if (command === "jump") {
      offset += Number(ms);
      for (const timer of [...timers]) if (timer.at <= clock.now()) { clearTimeout(timer.handle); timers.delete(timer); timer.fire(); }
    }
    if (command === "quit") break;
  }
  dhcp.close();
`;

let dir = "";
let dnsmasq: ChildProcess | undefined;
let client: ChildProcess | undefined;

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

before(() => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), "stele-dhcp-"));
  run("ip", ["netns", "add", SERVER_NS]);
  run("ip", ["netns", "add", CLIENT_NS]);
  run("ip", [
    "link",
    "add",
    SERVER_IF,
    "netns",
    SERVER_NS,
    "type",
    "veth",
    "peer",
    "name",
    CLIENT_IF,
    "netns",
    CLIENT_NS,
  ]);
  run("ip", ["-n", SERVER_NS, "addr", "add", "10.9.0.1/24", "dev", SERVER_IF]);
  run("ip", ["-n", SERVER_NS, "link", "set", SERVER_IF, "up"]);
});

after(() => {
  client?.kill("SIGKILL");
  dnsmasq?.kill("SIGKILL");
  for (const ns of [SERVER_NS, CLIENT_NS]) spawnSync("ip", ["netns", "del", ns]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** dnsmasq on the server side; `--no-ping`: by default it pings a new address for 3 s before offering it. */
function startDnsmasq(): ChildProcess {
  const child = spawn(
    "ip",
    [
      ...[
        "netns",
        "exec",
        SERVER_NS,
        "dnsmasq",
        "--no-daemon",
        "--port=0",
        "--conf-file=/dev/null",
        "--pid-file=",
      ],
      ...[
        `--interface=${SERVER_IF}`,
        "--bind-interfaces",
        "--no-ping",
        "--dhcp-range=10.9.0.50,10.9.0.60,255.255.255.0,2m",
      ],
      ...["--dhcp-option=option:router,10.9.0.1", "--dhcp-option=option:dns-server,10.9.0.53"],
      `--dhcp-leasefile=${join(dir, "leases")}`,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  child.stderr?.on("data", (chunk) => {
    log += chunk;
  });
  Object.defineProperty(child, "log", { get: () => log });
  return child;
}

test("DHCPv4 against dnsmasq in network namespaces: lease applied, renewed at T1, removed at expiry", {
  skip,
  timeout: 30_000,
}, async () => {
  const started = performance.now();
  dnsmasq = startDnsmasq();
  const server = dnsmasq as ChildProcess & { log: string };
  while (!server.log.includes("sockets bound")) await new Promise((resolve) => setTimeout(resolve, 20));
  const resolvConf = join(dir, "resolv.conf");
  client = spawn(
    "ip",
    ["netns", "exec", CLIENT_NS, process.execPath, "--input-type=module", "-e", CHILD, CLIENT_IF, resolvConf],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const lines = createInterface({ input: client.stdout! })[Symbol.asyncIterator]();
  const output: string[] = [];
  /** Reads the child's lines until one matches. */
  const waitFor = async (pattern: RegExp) => {
    for (;;) {
      const { value, done } = await lines.next();
      if (done) assert.fail(`child ended before ${pattern}:\n${output.join("\n")}`);
      output.push(value);
      if (pattern.test(value)) return value;
    }
  };
  const bound = await waitFor(
    new RegExp(
      `^log ${CLIENT_IF}: DHCP lease 10\\.9\\.0\\.\\d+/24 via 10\\.9\\.0\\.1 from 10\\.9\\.0\\.1, 120 s$`,
    ),
  );
  const address = /(10\.9\.0\.\d+)/.exec(bound)![1]!;
  const boundMs = performance.now() - started;

  assert.match(
    run("ip", ["-n", CLIENT_NS, "-4", "addr", "show", "dev", CLIENT_IF]),
    new RegExp(`inet ${address}/24 `),
  );
  assert.match(
    run("ip", ["-n", CLIENT_NS, "route"]),
    new RegExp(`^default via 10\\.9\\.0\\.1 dev ${CLIENT_IF}`, "m"),
  );
  assert.equal(readFileSync(resolvConf, "utf8"), "nameserver 10.9.0.53\n");

  // T1 is 60 s: jump there; the renewal is unicast to dnsmasq, which ACKs the same address.
  client.stdin!.write("jump 60000\n");
  await waitFor(new RegExp(`^log ${CLIENT_IF}: DHCP lease renewed: ${address.replaceAll(".", "\\.")}/24`));
  assert.match(server.log, new RegExp(`DHCPREQUEST\\(${SERVER_IF}\\) ${address.replaceAll(".", "\\.")}`));

  // The server goes away; past expiry the address (and the default route through it) is removed.
  dnsmasq.kill("SIGKILL");
  client.stdin!.write("jump 130000\n");
  await waitFor(new RegExp(`^log ${CLIENT_IF}: DHCP lease of .* lost \\(expired\\): address removed$`));
  assert.doesNotMatch(run("ip", ["-n", CLIENT_NS, "-4", "addr", "show", "dev", CLIENT_IF]), /inet /);
  assert.doesNotMatch(run("ip", ["-n", CLIENT_NS, "route"]), /default/);
  assert.equal(readFileSync(resolvConf, "utf8"), "");
  client.stdin!.end("quit\n");
  const code = await new Promise((resolve) => client!.once("exit", resolve));
  assert.equal(code, 0);
  console.log(`# DHCP lease bound ${Math.round(boundMs)} ms after dnsmasq started (Node's start included)`);
});
