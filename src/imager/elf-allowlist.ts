/**
 * Every ELF file the node's root filesystem may contain, by path. The image test fails on any
 * other ELF file, and the builder refuses to build one, so a new binary or library in the image is
 * always a reviewed change of this list (libraries are stored under their sonames, so a Debian
 * point release does not change it).
 */
export const ROOTFS_ELF_ALLOWLIST: readonly string[] = [
  "usr/bin/containerd",
  "usr/bin/containerd-shim-runc-v2",
  "usr/bin/ctr",
  "usr/bin/node",
  "usr/bin/runc",
  "usr/lib/stele/node_modules/koffi/build/koffi/linux_x64/koffi.node",
  "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
  "usr/lib/x86_64-linux-gnu/libblkid.so.1",
  "usr/lib/x86_64-linux-gnu/libc.so.6",
  "usr/lib/x86_64-linux-gnu/libcom_err.so.2",
  "usr/lib/x86_64-linux-gnu/libdl.so.2",
  "usr/lib/x86_64-linux-gnu/libe2p.so.2",
  "usr/lib/x86_64-linux-gnu/libext2fs.so.2",
  "usr/lib/x86_64-linux-gnu/libgcc_s.so.1",
  "usr/lib/x86_64-linux-gnu/libm.so.6",
  "usr/lib/x86_64-linux-gnu/libpthread.so.0",
  "usr/lib/x86_64-linux-gnu/libseccomp.so.2",
  "usr/lib/x86_64-linux-gnu/libstdc++.so.6",
  "usr/lib/x86_64-linux-gnu/libuuid.so.1",
  "usr/sbin/mke2fs",
];

/** Every ELF file the etcd image may contain. */
export const ETCD_IMAGE_ELF_ALLOWLIST: readonly string[] = [
  "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
  "usr/lib/x86_64-linux-gnu/libc.so.6",
  "usr/local/bin/etcd",
  "usr/local/bin/etcdutl",
];

/**
 * Names that must never be in an image: shells and package managers. The image is API-only; a
 * shell in it would be a way around the API.
 */
export const FORBIDDEN_PROGRAM =
  /^(sh|bash|dash|ash|zsh|ksh|mksh|csh|tcsh|fish|busybox|toybox|apt|apt-get|apt-cache|dpkg|dpkg-deb|rpm|yum|dnf|apk)$/;
