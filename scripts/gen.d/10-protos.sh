#!/usr/bin/env bash
# Regenerates the TypeScript of the public API from api/**/*.proto (options in buf.gen.yaml) and the API
# reference docs/reference/api.md from the same protos. Lints and checks formatting first, so a proto that
# would not pass review never reaches generated code. Deterministic: two runs give identical bytes.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/node_modules/.bin:$PATH"

out=src/machinery/api

buf lint
if ! buf format --diff --exit-code; then
  echo "gen: api/ is not formatted: run \`buf format -w\` and commit the result" >&2
  exit 1
fi

# Remove the previous output, so a deleted or renamed proto leaves no stale file behind. Hand-written tests
# beside the generated code stay. (buf's own `clean: true` would delete them too.)
if [ -d "$out" ]; then
  find "$out" -type f ! -name '*.test.ts' -delete
  find "$out" -mindepth 1 -type d -empty -delete
fi

buf generate

node scripts/gen-api-reference.ts docs/reference/api.md
