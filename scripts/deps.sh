#!/usr/bin/env bash
# Installs what Stele needs on a Debian machine that has Node.js and npm: the system packages
# (only those missing, with apt-get) and the npm dependencies (npm ci, only when the lock file
# changed). Safe to run again; it does nothing when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the host needs. Keep this list the only place they are named.
APT_PACKAGES=(openssl ca-certificates git tmux squashfs-tools iproute2 util-linux dpkg xz-utils zstd etcd-client etcd-server gdisk qemu-system-x86 ovmf swtpm swtpm-tools xorriso mtools dosfstools e2fsprogs binutils dnsmasq-base grub-pc-bin grub-common)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "deps: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm ci only when node_modules is absent or older than the lock file.
stamp=node_modules/.stele-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "deps: installing npm packages (npm ci)"
  npm ci --no-fund --no-audit --loglevel=error
  touch "$stamp"
fi
