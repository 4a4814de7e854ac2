#!/usr/bin/env bash
# Regenerates everything derived from a source of truth: protobuf code from api/*.proto, the JSON
# Schema and the config reference from the config schema, the API reference from the protos.
# With --check, regenerates into a scratch copy and fails if anything committed differs.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
check=0; [ "${1:-}" = "--check" ] && check=1

targets=(src/machinery/api docs/reference)
if ((check)); then
  before=$(mktemp -d); trap 'rm -rf "$before"' EXIT
  for t in "${targets[@]}"; do [ -e "$t" ] && mkdir -p "$before/$(dirname "$t")" && cp -a "$t" "$before/$t"; done
fi

for gen in scripts/gen.d/*.sh; do [ -e "$gen" ] && bash "$gen"; done

if ((check)); then
  for t in "${targets[@]}"; do
    if ! diff -r "$before/$t" "$t" >/dev/null 2>&1; then
      echo "gen: $t is out of date: run \`npm run gen\` and commit the result" >&2
      diff -r "$before/$t" "$t" | head -20 >&2 || true
      exit 1
    fi
  done
  echo "gen: generated code and references are current"
fi
