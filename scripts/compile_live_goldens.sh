#!/usr/bin/env bash
# Regenerates what `dbt compile` writes after `dbt build` (dbt-core 1.11 + dbt-duckdb
# 1.11.1, or dbt-postgres 1.11 with --postgres), into fixtures/<name>/expected/ (with
# --postgres: fixtures/<name>/expected/postgres/, whose profiles.yml is the project's):
#   compiled_after_build/**        the target/compiled tree of the models, tests and
#       analyses. Introspective nodes (run_query, statement blocks, ...) are rendered there
#       with the data the build loaded, incremental models whose table exists with
#       is_incremental() true.
#   compiled_code_after_build.json  unique_id -> {compiled_code, extra_ctes} of every
#       node of that compile's manifest.json that has a compiled_code.
#   compiled_full_refresh/**       (fixtures with incremental models) the target/compiled
#       tree of `dbt compile --full-refresh` after the same build.
# tests/compile_live.rs (and tests/query_values.rs) compare `dbtc build && dbtc compile`
# with them.
# Usage: scripts/compile_live_goldens.sh [--postgres] [fixture ...]
#   (default: introspective compile_incremental; --postgres: compile_incremental)
# Needs the dbt venv: see scripts/dbt_venv.sh ($DBT_VENV); --postgres also starts a
# throwaway server (scripts/pg_server.sh) and uses a database golden_<fixture> on it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$("$root/scripts/dbt_venv.sh")
postgres=false
if [ "${1:-}" = "--postgres" ]; then
  postgres=true
  shift
  "$venv/bin/python" -c 'import dbt.adapters.postgres' 2>/dev/null \
    || "$venv/bin/pip" install -q 'dbt-postgres~=1.9' >&2
fi
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  if $postgres; then names=(compile_incremental); else names=(introspective compile_incremental); fi
fi
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
if $postgres; then
  pgdir=$(mktemp -d)
  trap '"$root/scripts/pg_server.sh" stop "$pgdir"' EXIT
  eval "$("$root/scripts/pg_server.sh" start "$pgdir")"
fi
for name in "${names[@]}"; do
  echo "== $name"
  out="$root/fixtures/$name/expected"
  $postgres && out="$out/postgres"
  work=$(mktemp -d)
  cp -r "$root/fixtures/$name" "$work/project"
  rm -rf "$work/project"/*.duckdb "$work/project/expected" "$work/project/target"
  if $postgres; then
    cp "$out/profiles.yml" "$work/project/profiles.yml"
    export DBTC_TEST_PG_DBNAME="golden_$name"
    "$venv/bin/python" - <<'PY'
import os, psycopg2
admin = psycopg2.connect(host=os.environ["DBTC_TEST_PG_HOST"], port=os.environ["DBTC_TEST_PG_PORT"],
                         user=os.environ["DBTC_TEST_PG_USER"], password=os.environ["DBTC_TEST_PG_PASSWORD"],
                         dbname="postgres")
admin.autocommit = True
db = os.environ["DBTC_TEST_PG_DBNAME"]
admin.cursor().execute(f'drop database if exists "{db}"')
admin.cursor().execute(f'create database "{db}"')
PY
  fi
  dbt_in() {
    (cd "$work/project" && "$venv/bin/dbt" "$@" --profiles-dir . --target-path "$work/target" \
        --log-path "$work/logs" -q)
  }
  dbt_in build || true
  rm -rf "$work/target/compiled"
  dbt_in compile >/dev/null
  rm -rf "$out/compiled_after_build"
  cp -r "$work/target/compiled" "$out/compiled_after_build"
  echo "  compiled_after_build: $(find "$out/compiled_after_build" -type f | wc -l) files"
  "$venv/bin/python" - "$work/target/manifest.json" "$out/compiled_code_after_build.json" <<'PY'
import json, sys
nodes = json.load(open(sys.argv[1]))["nodes"]
code = {uid: {"compiled_code": n["compiled_code"], "extra_ctes": n.get("extra_ctes", [])}
        for uid, n in sorted(nodes.items()) if n.get("compiled_code")}
with open(sys.argv[2], "w") as f:
    json.dump(code, f, indent=2)
    f.write("\n")
print(f"  compiled_code_after_build.json: {len(code)} nodes")
PY
  rm -rf "$out/compiled_full_refresh"
  if grep -rq "materialized='incremental'" "$work/project/models"; then
    rm -rf "$work/target/compiled"
    dbt_in compile --full-refresh >/dev/null
    cp -r "$work/target/compiled" "$out/compiled_full_refresh"
    echo "  compiled_full_refresh: $(find "$out/compiled_full_refresh" -type f | wc -l) files"
  fi
  rm -rf "$work"
done
