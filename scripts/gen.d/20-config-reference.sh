#!/usr/bin/env bash
# Regenerates the machine config reference (docs/reference/config.md) and its JSON Schemas
# (docs/reference/schema/*.json) from the zod schemas in src/machinery/config/schema.
# Deterministic: two runs give identical bytes, so `gen.sh --check` can diff them.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/node_modules/.bin:$PATH"

node scripts/gen-config-reference.ts docs/reference
