/**
 * The /proc parsers of StatsService on text captured from real kernels, odd cases included, and
 * properties: whatever the numbers, they come back as written.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import type { SteleError } from "../../../machinery/errors.ts";
import {
  countProcesses,
  filesystemUsage,
  parseDiskstats,
  parseLoadavg,
  parseMountinfo,
  parseNetDev,
  parseProcStat,
} from "./proc-stats.ts";

// A 4-CPU machine with cpu2 offline: 3 cpuN lines, and the kernel skips the missing number.
const PROC_STAT = `cpu  329546 12 57409 1328872 1055 3 909 311 0 0
cpu0 162645 5 27723 667924 199 1 362 152 0 0
cpu1 166901 7 29685 660948 855 2 547 159 0 0
cpu3 1 2 3 4 5 6 7 8 0 0
intr 22334455 0 9 0 0 0 0 0 0
ctxt 11332436
btime 1795748905
processes 85776
procs_running 3
procs_blocked 1
softirq 4431862 0 1106012 13 212434 0 0 3 1449371 0 1664029
`;

const DISKSTATS = `   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
 259       0 nvme0n1 84512 31250 6442202 20844 402119 284010 21330120 458120 0 312776 479212 0 0 0 0 10123 252
 259       1 nvme0n1p1 420 0 23456 81 2 0 2 0 0 96 81 0 0 0 0 0 0
   8       0 sda 1 2 3 4 5 6 7 8 9 10 11
   8       1 sda1 10 20 30 40
`;

const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 1778580813 1718059    0    0    0     0          0         0 1778580813 1718059    0    0    0     0       0          0
  eth0:18446744073709551615 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16
veth1@if2: 100 1 0 0 0 0 0 0 200 2 0 1 0 0 0 0
`;

const MOUNTINFO = `22 27 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
27 1 253:0 / / ro,relatime shared:1 - squashfs /dev/mapper/root ro
28 27 0:22 / /var rw,relatime shared:2 - xfs /dev/sda5 rw,attr2,inode64,noquota
29 28 0:23 /pods /var/lib/my\\040data rw,relatime master:3 - ext4 /dev/disk\\040one rw,errors=remount-ro
30 27 0:24 / /mnt/frozen rw,relatime - tmpfs tmpfs ro,size=65536k
`;

describe("parseProcStat", () => {
  test("reads the total and each online CPU, however many the machine has", () => {
    const stat = parseProcStat(PROC_STAT);
    assert.deepEqual(stat.total, {
      name: "cpu",
      user: 329546n,
      nice: 12n,
      system: 57409n,
      idle: 1328872n,
      iowait: 1055n,
      irq: 3n,
      softirq: 909n,
      steal: 311n,
    });
    assert.deepEqual(
      stat.cpus.map((cpu) => cpu.name),
      ["cpu0", "cpu1", "cpu3"],
    );
    assert.equal(stat.cpus[2]!.steal, 8n);
  });

  test("reads the counters after the CPU lines", () => {
    const stat = parseProcStat(PROC_STAT);
    assert.equal(stat.contextSwitches, 11332436n);
    assert.equal(stat.processesCreated, 85776n);
    assert.equal(stat.processesRunning, 3);
    assert.equal(stat.processesBlocked, 1);
    assert.equal(stat.bootTime?.toISOString(), "2026-11-27T03:08:25.000Z");
  });

  test("an old kernel's shorter cpu line gives 0 for the times it does not count", () => {
    const stat = parseProcStat("cpu 10 20 30 40\n");
    assert.equal(stat.total.idle, 40n);
    assert.equal(stat.total.steal, 0n);
    assert.deepEqual(stat.cpus, []);
    assert.equal(stat.bootTime, undefined);
  });

  test("text without a cpu line is refused", () => {
    assert.throws(
      () => parseProcStat("ctxt 1\n"),
      (error: SteleError) => error.code === "io",
    );
  });

  test("any jiffies count, beyond 2^53 too, comes back exactly", () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { minLength: 8, maxLength: 8 }),
        (t) => {
          const times = parseProcStat(`cpu  ${t.join(" ")} 0 0\n`).total;
          assert.deepEqual(
            [
              times.user,
              times.nice,
              times.system,
              times.idle,
              times.iowait,
              times.irq,
              times.softirq,
              times.steal,
            ],
            t,
          );
        },
      ),
    );
  });
});

describe("parseLoadavg", () => {
  test("reads the three averages and the running and total threads", () => {
    assert.deepEqual(parseLoadavg("0.31 0.63 1.21 1/87 20853\n"), {
      load1: 0.31,
      load5: 0.63,
      load15: 1.21,
      runningTasks: 1,
      totalTasks: 87,
    });
  });

  test("text that is not /proc/loadavg is refused", () => {
    for (const text of ["", "0.1 0.2\n", "a b c 1/2 3\n"]) {
      assert.throws(
        () => parseLoadavg(text),
        (error: SteleError) => error.code === "io",
        text,
      );
    }
  });
});

describe("parseDiskstats", () => {
  test("reads the first 11 counters of every device, whatever the kernel appends", () => {
    const disks = parseDiskstats(DISKSTATS);
    assert.deepEqual(
      disks.map((d) => d.name),
      ["loop0", "nvme0n1", "nvme0n1p1", "sda"],
    );
    assert.deepEqual(disks[1], {
      name: "nvme0n1",
      major: 259,
      minor: 0,
      readsCompleted: 84512n,
      readsMerged: 31250n,
      sectorsRead: 6442202n,
      readTimeMs: 20844n,
      writesCompleted: 402119n,
      writesMerged: 284010n,
      sectorsWritten: 21330120n,
      writeTimeMs: 458120n,
      ioInProgress: 0n,
      ioTimeMs: 312776n,
      weightedIoTimeMs: 479212n,
    });
    assert.equal(disks[3]!.weightedIoTimeMs, 11n);
  });

  test("skips a 2.6 kernel's 4-counter partition line rather than invent zeros", () => {
    assert.ok(!parseDiskstats(DISKSTATS).some((d) => d.name === "sda1"));
  });
});

describe("parseNetDev", () => {
  test("reads every interface after the headers, whatever its name holds", () => {
    const interfaces = parseNetDev(NET_DEV);
    assert.deepEqual(
      interfaces.map((i) => i.name),
      ["lo", "eth0", "veth1@if2"],
    );
    assert.deepEqual(interfaces[2], {
      name: "veth1@if2",
      rxBytes: 100n,
      rxPackets: 1n,
      rxErrors: 0n,
      rxDropped: 0n,
      txBytes: 200n,
      txPackets: 2n,
      txErrors: 0n,
      txDropped: 1n,
    });
  });

  test("a counter written right after the colon still belongs to the counters, exact to 2^64 - 1", () => {
    const eth0 = parseNetDev(NET_DEV)[1]!;
    assert.equal(eth0.rxBytes, 2n ** 64n - 1n);
    assert.equal(eth0.rxDropped, 4n);
    assert.equal(eth0.txBytes, 9n);
    assert.equal(eth0.txDropped, 12n);
  });
});

describe("parseMountinfo", () => {
  test("reads source, target and type, and unescapes spaces in paths", () => {
    const mounts = parseMountinfo(MOUNTINFO);
    assert.deepEqual(
      mounts.map((m) => [m.source, m.target, m.fstype]),
      [
        ["proc", "/proc", "proc"],
        ["/dev/mapper/root", "/", "squashfs"],
        ["/dev/sda5", "/var", "xfs"],
        ["/dev/disk one", "/var/lib/my data", "ext4"],
        ["tmpfs", "/mnt/frozen", "tmpfs"],
      ],
    );
  });

  test("joins mount and filesystem options once each, led by the ro or rw that holds", () => {
    const [proc, root, varMount, data, frozen] = parseMountinfo(MOUNTINFO);
    assert.equal(proc!.options, "rw,nosuid,nodev,noexec,relatime");
    assert.equal(root!.options, "ro,relatime");
    assert.equal(varMount!.options, "rw,relatime,attr2,inode64,noquota");
    assert.equal(data!.options, "rw,relatime,errors=remount-ro");
    assert.equal(frozen!.options, "ro,relatime,size=65536k");
  });

  test("a mount is read-only when the mount or its filesystem says so", () => {
    assert.deepEqual(
      parseMountinfo(MOUNTINFO).map((m) => m.readOnly),
      [false, true, false, false, true],
    );
  });

  test("skips lines without the separator of optional fields", () => {
    assert.deepEqual(parseMountinfo("22 27 0:21 / /proc rw shared:12 proc proc rw\n\n"), []);
  });
});

describe("filesystemUsage", () => {
  test("reports a mounted filesystem's size under the node path, free space within it", () => {
    const usage = filesystemUsage("/var", tmpdir());
    assert.equal(usage.path, "/var");
    assert.ok(usage.totalBytes > 0n);
    assert.ok(usage.availableBytes <= usage.freeBytes && usage.freeBytes <= usage.totalBytes);
  });

  test("a missing path is an I/O error naming the node path", () => {
    assert.throws(
      () => filesystemUsage("/var", "/nonexistent/stele-test"),
      (error: SteleError) => error.code === "io" && error.message.includes("/var"),
    );
  });
});

describe("countProcesses", () => {
  let proc: string;
  before(() => {
    proc = mkdtempSync(join(tmpdir(), "proc-"));
    // pid 5 is a child of 300: pids wrapped, so a parent may have the larger pid.
    const processes: Array<[number, string, number]> = [
      [1, "init", 0],
      [300, "machined", 1],
      [301, "a (weird) ) name", 300],
      [5, "wrapped", 300],
      [6, "grandchild", 5],
      [20, "stranger", 1],
    ];
    for (const [pid, comm, ppid] of processes) {
      mkdirSync(join(proc, String(pid)));
      writeFileSync(join(proc, String(pid), "stat"), `${pid} (${comm}) S ${ppid} 0 0 0 -1\n`);
    }
    mkdirSync(join(proc, "self"));
    mkdirSync(join(proc, "sys"));
  });
  after(() => rmSync(proc, { recursive: true, force: true }));

  test("on metal counts every process", () => {
    assert.equal(countProcesses({ proc }), 6);
  });

  test("on the container platform counts machined and its descendants only", () => {
    assert.equal(countProcesses({ proc, rootPid: 300 }), 4);
  });

  test("counts none when the root process is gone", () => {
    assert.equal(countProcesses({ proc, rootPid: 999 }), 0);
  });
});
