#!/usr/bin/env bash
# The README's first command: install what is missing, then run the main job. For now the main job
# generates a cluster's secrets and configs into _out/ and validates and audits them; later it
# creates a local cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
export PATH="$PWD/node_modules/.bin:$PATH"
stelectl() { node "$PWD/bin/stelectl.js" "$@"; }

out=_out
if [ -e "$out/controlplane.yaml" ]; then
  echo "start: $out/ already holds a cluster config; reusing it (delete $out/ to start over)"
else
  mkdir -p "$out"
  stelectl gen secrets --output-file "$out/secrets.yaml"
  stelectl gen config stele https://10.5.0.2:6443 --with-secrets "$out/secrets.yaml" --output-dir "$out"
fi
stelectl validate --mode metal "$out/controlplane.yaml" "$out/worker.yaml"
stelectl audit "$out/controlplane.yaml" "$out/worker.yaml"
echo
echo "start: done. Your cluster's files are in $out/:"
ls -l "$out"
