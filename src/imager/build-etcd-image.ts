import { writeFile } from "node:fs/promises";
import { SteleError } from "../machinery/errors.ts";
import { buildLayerTar } from "../pkg/oci/layer-tar.ts";
import { buildOciImageArchive, imageTag, type OciImageArchive } from "../pkg/oci/oci-image-archive.ts";
import { addLibraries, debFile } from "./build-rootfs.ts";
import { ETCD_IMAGE_ELF_ALLOWLIST } from "./elf-allowlist.ts";
import { ImageTree } from "./image-tree.ts";
import { ETCD_DEB_BINARIES } from "./rootfs-layout.ts";

/** What the etcd image is made from. */
export interface EtcdImageInputs {
  /** The Debian packages of ETCD_DEBS, extracted into one directory. */
  debsRoot: string;
  /** The etcd-server package's version (`3.5.16-4`), checked against the reference's tag. */
  debVersion: string;
  /** The image's full reference (DEFAULT_ETCD_IMAGE). */
  reference: string;
}

/**
 * The etcd image's contents, laid out as the upstream image (and Talos) has them: etcd and
 * etcdutl in /usr/local/bin, glibc and its loader, an empty /var/lib/etcd (0700) and /tmp.
 */
export async function etcdImageTree(inputs: EtcdImageInputs): Promise<ImageTree> {
  const tree = new ImageTree();
  for (const [from, to] of ETCD_DEB_BINARIES) tree.file(to, await debFile(inputs.debsRoot, from), 0o755);
  tree.directory("var/lib/etcd", 0o700);
  tree.directory("tmp", 0o1777);
  await addLibraries(tree, inputs.debsRoot, ETCD_IMAGE_ELF_ALLOWLIST);
  return tree;
}

/**
 * Refuses to label Debian's etcd with a tag of another release: `registry.k8s.io/etcd:3.5.16-0`
 * must hold etcd 3.5.16 (the `-0` is the image's own revision, Debian's `-4` the package's).
 */
export function checkEtcdVersion(reference: string, debVersion: string): void {
  const tagVersion = imageTag(reference).split("-")[0];
  const upstream = debVersion
    .replace(/^\d+:/, "")
    .replace(/-[^-]*$/, "")
    .split(/[+~]/)[0];
  if (tagVersion !== upstream) {
    throw new SteleError(
      "failed-precondition",
      `Debian's etcd-server ${debVersion} does not match the etcd image ${reference}: expected etcd ${tagVersion}`,
      "Update DEFAULT_ETCD_IMAGE in src/machinery/constants.ts to the etcd release Debian 13 ships",
    );
  }
}

/** Builds the etcd image as a reproducible OCI archive and writes it to `outputFile`. */
export async function buildEtcdImage(inputs: EtcdImageInputs, outputFile: string): Promise<OciImageArchive> {
  checkEtcdVersion(inputs.reference, inputs.debVersion);
  const tree = await etcdImageTree(inputs);
  const image = buildOciImageArchive({
    reference: inputs.reference,
    layers: [buildLayerTar(await tree.toLayerEntries())],
    config: {
      Env: ["PATH=/usr/local/bin:/usr/bin"],
      Cmd: ["/usr/local/bin/etcd"],
      WorkingDir: "/",
    },
  });
  await writeFile(outputFile, image.archive);
  return image;
}
