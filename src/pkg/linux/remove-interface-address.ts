import { libc } from "./libc.ts";
import { encodeIfreq, encodeSockaddrIn, SOCKIOS } from "./net-ioctl.ts";
import { check } from "./syscall-error.ts";

const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;

/**
 * Removes interface `name`'s primary IPv4 address: SIOCSIFADDR with 0.0.0.0, which the kernel
 * takes as "delete" (what `ifconfig eth0 0.0.0.0` does). The subnet's route and every route through
 * a gateway on it go with the address, so an expired DHCP lease leaves nothing routed behind.
 * Removing from an interface without an address is no error.
 */
export function removeInterfaceAddress(name: string): void {
  const fd = check(libc().socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), "socket", ["AF_INET", "SOCK_DGRAM"]);
  try {
    const result = libc().ioctl(fd, SOCKIOS.SIOCSIFADDR, encodeIfreq(name, encodeSockaddrIn("0.0.0.0")));
    // No address to remove: EADDRNOTAVAIL on some kernels; the wanted state holds either way.
    const EADDRNOTAVAIL = 99;
    if (result === -1 && libc().errno() === EADDRNOTAVAIL) return;
    check(result, "ioctl", ["SIOCSIFADDR", name, "0.0.0.0"]);
  } finally {
    libc().close(fd);
  }
}
