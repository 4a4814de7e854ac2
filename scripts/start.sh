#!/usr/bin/env bash
# The README's first command: install what is missing (apt and npm), build the bundle and the node
# image, and create a local cluster (1 control plane + 1 worker, each a sandbox running the real
# containerd and etcd). Run again, it shows the cluster that is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
export PATH="$PWD/node_modules/.bin:$PATH"
stelectl() { node "$PWD/bin/stelectl.js" "$@"; }

if [ "$(id -u)" -ne 0 ]; then
  echo "start: a local cluster needs root (network namespaces, mounts, cgroups): run it with sudo" >&2
  exit 1
fi
name="${STELE_CLUSTER:-stele-local}"
if stelectl cluster show --name "$name" >/dev/null 2>&1; then
  echo "start: cluster $name already exists:"
  stelectl cluster show --name "$name"
  echo "start: destroy it with: npx stelectl cluster destroy --name $name"
  exit 0
fi
stelectl cluster create --name "$name" "$@"
