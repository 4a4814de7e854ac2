import type { WatchStatsResponse } from "../../machinery/api/machine/v1alpha1/stats.ts";
import type { StatsSample } from "./dashboard-source.ts";

const SECTOR_BYTES = 512;
// sda1, vdb2, xvda1, hdc3 and nvme0n1p1, mmcblk0p2: partitions, whose I/O their disk already counts.
const PARTITION = /^(?:(?:sd|vd|xvd|hd)[a-z]+\d+|(?:nvme\d+n\d+|mmcblk\d+)p\d+)$/;
const VIRTUAL_DISK = /^(?:loop|ram|zram|dm-)/;

/**
 * Reduces a WatchStats sample to the plain numbers the dashboard plots: busy and total jiffies,
 * traffic of every interface but loopback, I/O of whole physical disks only (partitions and
 * loop devices would count the same bytes twice).
 */
export function statsSampleOf(response: WatchStatsResponse, receivedAtMs: number): StatsSample {
  const cpu = response.cpu;
  const busy = cpu ? cpu.user + cpu.nice + cpu.system + cpu.irq + cpu.softirq + cpu.steal : 0n;
  const idle = cpu ? cpu.idle + cpu.iowait : 0n;
  const interfaces = response.interfaces.filter((i) => i.name !== "lo");
  const disks = response.disks.filter((d) => !PARTITION.test(d.name) && !VIRTUAL_DISK.test(d.name));
  const sum = (values: bigint[]) => Number(values.reduce((a, b) => a + b, 0n));
  return {
    timeMs: response.time?.getTime() ?? receivedAtMs,
    cpuBusy: Number(busy),
    cpuTotal: Number(busy + idle),
    memTotal: Number(response.memory?.memTotal ?? 0n),
    memAvailable: Number(response.memory?.memAvailable ?? 0n),
    load1: response.load?.load1 ?? 0,
    load5: response.load?.load5 ?? 0,
    load15: response.load?.load15 ?? 0,
    rxBytes: sum(interfaces.map((i) => i.rxBytes)),
    txBytes: sum(interfaces.map((i) => i.txBytes)),
    readBytes: sum(disks.map((d) => d.sectorsRead)) * SECTOR_BYTES,
    writeBytes: sum(disks.map((d) => d.sectorsWritten)) * SECTOR_BYTES,
    processCount: response.processCount,
  };
}
