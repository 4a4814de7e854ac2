/**
 * How long a Stele VM takes from QEMU's start until its API answers (issue #5), against the floor of
 * the same kernel, on the same accelerator and memory, booting an init that only prints a marker
 * (bench/marker-init.ts).
 *
 * - Value: a node booted the direct way (kernel + initramfs + the squashfs as a virtio disk, as PXE
 *   does), 512 MiB, with slirp networking: the time until apid in maintenance mode answers Version
 *   over TLS 1.3, pinned to the certificate whose fingerprint the console printed (what
 *   `stelectl version --insecure` would do first).
 * - Floor: the same kernel and an initramfs holding only the marker init: the time until the marker
 *   is on the serial console.
 *
 * Rounds alternate (ABBA) so that drift from other work on the machine lands on both. The accelerator
 * (KVM when it works, TCG otherwise: detected) is in the figure's name.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { Metadata, type ServiceError } from "@grpc/grpc-js";
import { pinnedTlsCredentials } from "../src/cli/client/channel-credentials.ts";
import { ensureBootImages } from "../src/imager/boot/index.ts";
import { VersionServiceClient } from "../src/machinery/api/machine/v1alpha1/version.ts";
import { SteleError } from "../src/machinery/errors.ts";
import { certificateFingerprint } from "../src/machinery/pki/certificate-fingerprint.ts";
import { detectAccelerator, freeTcpPort, startQemuVm } from "../src/provision/qemu/index.ts";
import { alternateRounds, type BenchContext, type Benchmark, type BenchResult } from "./harness.ts";
import { MARKER, markerInitramfs } from "./marker-init.ts";

const ROUNDS = 2;
const MEMORY_MIB = 512;
const BOOT_TIMEOUT_MS = 240_000;

/** PEM of the certificate the TLS server on `port` presents, or undefined while it does not answer. */
function serverCertificate(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({
      host: "127.0.0.1",
      port,
      servername: "",
      rejectUnauthorized: false,
      minVersion: "TLSv1.3",
    });
    const done = (pem: string | undefined) => {
      socket.destroy();
      resolve(pem);
    };
    socket.setTimeout(3_000, () => done(undefined));
    socket.once("error", () => done(undefined));
    socket.once("secureConnect", () => {
      const raw = socket.getPeerCertificate().raw;
      done(
        raw === undefined
          ? undefined
          : `-----BEGIN CERTIFICATE-----\n${raw.toString("base64").replace(/.{64}/g, "$&\n")}\n-----END CERTIFICATE-----\n`,
      );
    });
  });
}

/** One Version call with a short deadline (slirp accepts before the guest listens). */
function version(client: VersionServiceClient): Promise<void> {
  return new Promise((resolve, reject) =>
    client.version({}, new Metadata(), { deadline: Date.now() + 3_000 }, (error: ServiceError | null) =>
      error ? reject(error) : resolve(),
    ),
  );
}

const benchmark: Benchmark = {
  name: "vm-boot",
  async run(ctx: BenchContext): Promise<BenchResult[]> {
    const images = await ensureBootImages({
      outputDir: join(import.meta.dirname, "..", "_out", "images"),
      onProgress: ctx.log,
    });
    const dir = mkdtempSync(join(tmpdir(), "stele-bench-vm-"));
    try {
      const markerInitrd = join(dir, "marker.cpio");
      writeFileSync(markerInitrd, markerInitramfs());
      const accelerator = await detectAccelerator({ kernel: images.kernel });
      ctx.log(`accelerator: ${accelerator.accelerator} (${accelerator.reason})`);

      const floor = async (): Promise<number> => {
        const vm = await startQemuVm({
          kernel: images.kernel,
          initrd: markerInitrd,
          memoryMiB: MEMORY_MIB,
          accelerator: accelerator.accelerator,
        });
        try {
          const { elapsedMs } = await vm.waitForConsole(new RegExp(MARKER), { timeoutMs: BOOT_TIMEOUT_MS });
          return elapsedMs;
        } finally {
          await vm.close();
        }
      };

      const node = async (): Promise<number> => {
        const port = await freeTcpPort();
        const vm = await startQemuVm({
          kernel: images.kernel,
          initrd: images.initramfs,
          drives: [{ file: images.rootfs, readOnly: true }],
          memoryMiB: MEMORY_MIB,
          append: ["ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:off"],
          hostForwards: [{ hostPort: port, guestPort: 50000 }],
          accelerator: accelerator.accelerator,
        });
        let client: VersionServiceClient | undefined;
        try {
          const printed = await vm.waitForConsole(/fingerprint SHA256 ([0-9A-F:]{95})/, {
            timeoutMs: BOOT_TIMEOUT_MS,
          });
          const deadline = vm.startedAt + BOOT_TIMEOUT_MS;
          for (;;) {
            if (Date.now() > deadline) {
              throw new SteleError(
                "unavailable",
                `VM boot benchmark: apid did not answer Version within ${BOOT_TIMEOUT_MS / 1000} s`,
                "Read the VM's console: the node may have failed after printing its fingerprint",
              );
            }
            const pem = await serverCertificate(port);
            if (pem !== undefined && certificateFingerprint(pem) === printed.match[1]) {
              client ??= new VersionServiceClient(`127.0.0.1:${port}`, pinnedTlsCredentials(pem), {
                "grpc.initial_reconnect_backoff_ms": 200,
                "grpc.max_reconnect_backoff_ms": 500,
              });
              try {
                await version(client);
                return Date.now() - vm.startedAt;
              } catch {
                // Not serving yet: try again.
              }
            }
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        } finally {
          client?.close();
          await vm.close();
        }
      };

      const { floors, values } = await alternateRounds(
        async () => {
          const ms = await floor();
          ctx.log(`marker init on the console after ${(ms / 1000).toFixed(1)} s`);
          return ms;
        },
        async () => {
          const ms = await node();
          ctx.log(`apid answered Version after ${(ms / 1000).toFixed(1)} s`);
          return ms;
        },
        { rounds: ROUNDS, signal: ctx.signal, name: "vm-boot" },
      );
      const median = (samples: number[]) => {
        const sorted = [...samples].sort((a, b) => a - b);
        return sorted[Math.floor((sorted.length - 1) / 2)]!;
      };
      return [
        {
          figure: `QEMU start → apid answers Version (maintenance, TLS 1.3), direct kernel boot, ${MEMORY_MIB} MiB, ${accelerator.accelerator}, median of ${ROUNDS}`,
          unit: "s",
          value: median(values) / 1000,
          floor: median(floors) / 1000,
        },
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default benchmark;
