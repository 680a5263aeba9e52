#!/usr/bin/env bash
# Regenerates what `dbt compile` writes after `dbt build` (dbt-core 1.11 + dbt-duckdb
# 1.11.1): fixtures/<name>/expected/compiled_after_build/**, the target/compiled tree of
# the models, tests and analyses. Introspective nodes (run_query, statement blocks, ...)
# are rendered there with the data the build loaded: tests/compile_live.rs compares
# `dbtc build && dbtc compile` with it.
# Usage: scripts/compile_live_goldens.sh [fixture ...]   (default: introspective)
# Needs the dbt venv: see scripts/dbt_venv.sh ($DBT_VENV).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$("$root/scripts/dbt_venv.sh")
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(introspective)
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
for name in "${names[@]}"; do
  echo "== $name"
  work=$(mktemp -d)
  cp -r "$root/fixtures/$name" "$work/project"
  rm -rf "$work/project"/*.duckdb "$work/project/expected" "$work/project/target"
  (cd "$work/project" && "$venv/bin/dbt" build --profiles-dir . --target-path "$work/target" \
      --log-path "$work/logs" -q) || true
  rm -rf "$work/target/compiled"
  (cd "$work/project" && "$venv/bin/dbt" compile --profiles-dir . --target-path "$work/target" \
      --log-path "$work/logs" -q >/dev/null)
  out="$root/fixtures/$name/expected/compiled_after_build"
  rm -rf "$out"
  cp -r "$work/target/compiled" "$out"
  echo "  $(find "$out" -type f | wc -l) files"
  rm -rf "$work"
done
