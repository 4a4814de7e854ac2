#!/usr/bin/env bash
# The README's second command and what CI runs: every check and every test, on the pinned Node.js.
# Installs what is missing first, so it works on a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
export PATH="$PWD/node_modules/.bin:$PATH"

step() { printf '\n=== %s\n' "$*"; }

step "format and lint (biome)"
biome check .
step "type-check (tsc, strict)"
tsc -p tsconfig.json
step "layering rules (dependency-cruiser)"
depcruise --config .dependency-cruiser.cjs src bench scripts test
step "generated code and docs are current"
bash scripts/gen.sh --check
step "tests with coverage (node:test + c8)"
c8 --check-coverage --lines 80 --reporter=text-summary \
  --include='src/**' --exclude='src/**/*.test.ts' --exclude='src/machinery/api/**' \
  node --test --test-reporter=spec --test-concurrency=2 \
  'src/**/*.test.ts' 'bench/**/*.test.ts' 'test/**/*.test.ts'
