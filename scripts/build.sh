#!/usr/bin/env bash
# Bundles Stele's whole userland (src/main.ts: machined, apid, trustd, stelectl) into one ESM file,
# dist/stele.mjs, with esbuild: what the image ships and what `stelectl node run --bundle` runs.
# Pre-stripped JavaScript loads without Node's TypeScript stripping, which halves each daemon's memory.
# @grpc/reflection and etcd3 stay external: they read their own .proto files relative to their package
# directories; koffi loads a native koffi.node. All three are loaded from node_modules (the image ships
# those packages beside the bundle). react-devtools-core is never loaded: ink imports it only when
# DEV=true (the dashboard, which the bundle carries in chunks of its own for the console).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
mkdir -p dist
# Code splitting: src/main.ts imports each program lazily, so esbuild puts what only one program uses in
# its own chunk (dist/chunks/) and a daemon parses only its code and what it shares: the stage-1 init
# never loads apid's or etcd's code, and each daemon starts faster and holds less.
rm -rf dist/chunks
esbuild src/main.ts --bundle --platform=node --format=esm --target=node24 \
  --splitting --outdir=dist --entry-names=stele --chunk-names='chunks/[name]-[hash]' \
  --out-extension:.js=.mjs --log-level=warning --legal-comments=none \
  --external:@grpc/reflection --external:koffi --external:etcd3 --external:react-devtools-core \
  --banner:js="import { createRequire as __steleCreateRequire } from 'node:module'; import { fileURLToPath as __steleFileURLToPath } from 'node:url'; import { dirname as __steleDirname } from 'node:path'; const require = __steleCreateRequire(import.meta.url); const __filename = __steleFileURLToPath(import.meta.url); const __dirname = __steleDirname(__filename);"
echo "build: dist/stele.mjs + $(find dist/chunks -name '*.mjs' | wc -l) chunks ($(du -ch dist/stele.mjs dist/chunks | tail -1 | cut -f1))"
