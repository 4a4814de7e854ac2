import { SteleError } from "../../machinery/errors.ts";
import { type FetchedDeb, fetchDebs } from "../../pkg/debian/fetch-debs.ts";
import { runTool } from "../../pkg/debian/run-tool.ts";
import { KERNEL_METAPACKAGE } from "./boot-layout.ts";

/** The kernel package fetched for an image. */
export interface FetchedKernel {
  /** The versioned kernel package (`linux-image-6.12.117+deb13-cloud-amd64`), verified. */
  deb: FetchedDeb;
  /** The kernel release (`6.12.117+deb13-cloud-amd64`): the directory name under /usr/lib/modules. */
  release: string;
}

/** Options of fetchKernel. */
export interface FetchKernelOptions {
  cacheDir: string;
  onProgress?: (message: string) => void;
}

/**
 * Fetches the current Debian 13 cloud kernel: the metapackage first, whose `Depends` names the
 * versioned package (the index entries fetchDebs parses do not carry dependencies, the .deb's
 * control file does), then that package, both verified against the signed index.
 */
export async function fetchKernel(options: FetchKernelOptions): Promise<FetchedKernel> {
  const fetch = (name: string) =>
    fetchDebs([name], {
      cacheDir: options.cacheDir,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
  const [meta] = await fetch(KERNEL_METAPACKAGE);
  const depends = await runTool("dpkg-deb", ["--field", meta!.path, "Depends"]);
  const name = kernelPackageOf(depends);
  const [deb] = await fetch(name);
  return { deb: deb!, release: name.replace(/^linux-image-/, "") };
}

/**
 * The versioned kernel package in a metapackage's `Depends` (`linux-image-6.12.117+deb13-cloud-amd64
 * (= 6.12.117-1)`).
 */
export function kernelPackageOf(depends: string): string {
  const name = depends
    .split(",")
    .map((item) => item.trim().split(/[\s(|]/)[0]!)
    .find((item) => /^linux-image-\d.*-cloud-amd64$/.test(item));
  if (name === undefined) {
    throw new SteleError(
      "failed-precondition",
      `Kernel package not found in the dependencies of ${KERNEL_METAPACKAGE}: ${depends.trim() || "none"}`,
      "Debian changed how the cloud kernel is packaged: update src/imager/boot/fetch-kernel.ts",
    );
  }
  return name;
}
