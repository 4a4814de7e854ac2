import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Where the kernel lists network interfaces. */
export const SYS_CLASS_NET = "/sys/class/net";

/** ARPHRD_ETHER, the `type` of an Ethernet interface in sysfs. */
const ARPHRD_ETHER = 1;

/**
 * The physical Ethernet interfaces of the machine (`eth0`, `ens3`, `enp0s3`…), by name: those with a
 * `device` (a bus device behind them; veth, bridges, bonds, tun/tap and lo have none), ARP type
 * Ethernet, and neither wireless nor a bridge. These are what DHCP runs on when nothing says
 * otherwise: a virtual interface is somebody's deliberate creation, which a config names.
 */
export function listPhysicalEthernet(sysClassNet = SYS_CLASS_NET): string[] {
  let names: string[];
  try {
    names = readdirSync(sysClassNet);
  } catch {
    return [];
  }
  return names
    .filter((name) => {
      const dir = join(sysClassNet, name);
      return (
        readNumber(join(dir, "type")) === ARPHRD_ETHER &&
        existsSync(join(dir, "device")) &&
        !existsSync(join(dir, "wireless")) &&
        !existsSync(join(dir, "bridge"))
      );
    })
    .sort(compareNames);
}

/** Interface `name`'s MAC address (`52:54:00:12:34:56`), or undefined when there is no such interface. */
export function readHardwareAddress(name: string, sysClassNet = SYS_CLASS_NET): string | undefined {
  if (name.includes("/") || name === "." || name === "..") return undefined;
  try {
    const address = readFileSync(join(sysClassNet, name, "address"), "utf8").trim();
    return /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(address) ? address.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

function readNumber(path: string): number | undefined {
  try {
    return Number(readFileSync(path, "utf8").trim());
  } catch {
    return undefined;
  }
}

/** `eth2` before `eth10`: the order a person reads them in, and a stable one for resolv.conf. */
function compareNames(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true });
}
