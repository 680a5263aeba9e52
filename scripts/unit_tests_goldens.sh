#!/usr/bin/env bash
# Regenerates the dbt-core goldens of fixtures/unit_tests (dbt unit tests), each step on a
# fresh temp copy with the source table of expected/setup/_sources.sql loaded first:
#   expected/manifest_unit_tests.json  `dbt parse`: the manifest's top-level keys, its
#                                      `unit_tests` entries (created_at left out), the
#                                      unique_ids of disabled unit tests and the unit
#                                      tests in parent_map and child_map
#   expected/ls.txt                    `dbt ls` with the selections listed below
#                                      (selector output, one block per invocation)
#   expected/build.json                `dbt build` on an empty database: per node its
#                                      status, failures and (for unit tests) message
#   expected/test.json                 `dbt seed && dbt run && dbt test`: the tests
#   expected/postgres/{build,test}.json  the same two on dbt-postgres (see below)
# Usage: scripts/unit_tests_goldens.sh
# Needs dbt-core 1.11 + dbt-duckdb 1.11.1: see scripts/dbt_venv.sh ($DBT_VENV).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$("$root/scripts/dbt_venv.sh")
fixture="$root/fixtures/unit_tests"
out="$fixture/expected"
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
unset DBTC_UT_REGION

# A fresh copy of the fixture in a new temp dir, source table loaded; prints its path.
prepare() {
  local work
  work=$(mktemp -d)
  cp -r "$fixture" "$work/p"
  rm -rf "$work/p"/*.duckdb "$work/p/expected" "$work/p/target" "$work/p/logs"
  "$venv/bin/python" - "$work/p/dev.duckdb" "$fixture/expected/setup/_sources.sql" <<'PY'
import sys, duckdb
# dbtc links libduckdb 1.5.6: keep the file readable by it.
con = duckdb.connect(sys.argv[1], config={"storage_compatibility_version": "v1.2.0"})
con.execute(open(sys.argv[2]).read())
con.close()
PY
  echo "$work/p"
}

dbt_in() {
  local dir=$1; shift
  (cd "$dir" && "$venv/bin/dbt" "$@" --profiles-dir . --no-use-colors) || true
}

dir=$(prepare)
dbt_in "$dir" parse -q
"$venv/bin/python" - "$dir/target/manifest.json" "$out/manifest_unit_tests.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
units = {}
for uid, entry in doc["unit_tests"].items():
    entry = dict(entry)
    entry.pop("created_at", None)
    units[uid] = entry
disabled = sorted(uid for uid in doc["disabled"] if uid.startswith("unit_test."))
parents = {u: doc["parent_map"][u] for u in units}
children = {m: [c for c in kids if c.startswith("unit_test.")]
            for m, kids in doc["child_map"].items() if m.startswith("model.")}
reduced = {"keys": sorted(doc), "unit_tests": units, "disabled": disabled,
           "unit_test_parents": parents, "model_unit_test_children": children,
           "group_map": doc.get("group_map"), "semantic_models": doc.get("semantic_models"),
           "saved_queries": doc.get("saved_queries")}
with open(sys.argv[2], "w") as f:
    json.dump(reduced, f, indent=2, sort_keys=True)
    f.write("\n")
print(f"  {sys.argv[2]}: {len(units)} unit tests, {len(disabled)} disabled")
PY
# One block per `dbt ls` invocation: "# <args>" then its lines (dbt's order).
while IFS= read -r args; do
  echo "# $args"
  # shellcheck disable=SC2086
  dbt_in "$dir" ls -q $args </dev/null | grep -v '^\s*$'
done > "$out/ls.txt" <<'ARGS'
--resource-type unit_test
-s test_type:unit
-s tag:staging
-s stg_orders
-s stg_orders+ --exclude customers
-s unit_lab.staging
-s tiers_by_total
--resource-type model
-s config.enabled:true,resource_type:unit_test
--exclude test_type:unit -s staging
-s unit_test:tiers_*
-s unit_test:unit_lab.expect_as_sql
-s order_summary
ARGS
echo "  $out/ls.txt"

reduce() {
  "$venv/bin/python" - "$1" "$2" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
def row(r):
    out = {"unique_id": r["unique_id"], "status": r["status"], "failures": r["failures"]}
    if r["unique_id"].startswith("unit_test.") or r["status"] in ("pass", "warn", "fail"):
        out["message"] = r["message"]
    return out
reduced = {
    "result_keys": sorted(doc["results"][0]) if doc["results"] else [],
    "results": sorted((row(r) for r in doc["results"]), key=lambda r: r["unique_id"]),
}
with open(sys.argv[2], "w") as f:
    json.dump(reduced, f, indent=2)
    f.write("\n")
print(f"  {sys.argv[2]}: {len(reduced['results'])} results")
PY
}

dir=$(prepare)
dbt_in "$dir" build -q
reduce "$dir/target/run_results.json" "$out/build.json"

dir=$(prepare)
dbt_in "$dir" seed -q
dbt_in "$dir" run -q
dbt_in "$dir" test -q
reduce "$dir/target/run_results.json" "$out/test.json"

# dbt-postgres: `dbt build` and `dbt seed && dbt run && dbt test` on a throwaway server
# (scripts/pg_server.sh), each in a fresh database with the source table loaded:
#   expected/postgres/build.json, expected/postgres/test.json (as the DuckDB ones).
"$venv/bin/python" -c 'import dbt.adapters.postgres' 2>/dev/null \
  || "$venv/bin/pip" install -q 'dbt-postgres~=1.9' >&2
pgdir=$(mktemp -d)
trap '"$root/scripts/pg_server.sh" stop "$pgdir"' EXIT
eval "$("$root/scripts/pg_server.sh" start "$pgdir")"
# A fresh copy of the fixture pointed at a new database $1 (source table loaded).
prepare_pg() {
  local work
  work=$(mktemp -d)
  cp -r "$fixture" "$work/p"
  rm -rf "$work/p"/*.duckdb "$work/p/expected" "$work/p/target" "$work/p/logs"
  cp "$fixture/expected/postgres/profiles.yml" "$work/p/profiles.yml"
  "$venv/bin/python" - "$1" "$fixture/expected/setup/_sources.sql" <<'PY'
import os, sys, psycopg2
def connect(db):
    return psycopg2.connect(host=os.environ["DBTC_TEST_PG_HOST"], port=os.environ["DBTC_TEST_PG_PORT"],
                            user=os.environ["DBTC_TEST_PG_USER"], password=os.environ["DBTC_TEST_PG_PASSWORD"],
                            dbname=db)
admin = connect("postgres")
admin.autocommit = True
admin.cursor().execute(f'drop database if exists "{sys.argv[1]}"')
admin.cursor().execute(f'create database "{sys.argv[1]}"')
con = connect(sys.argv[1])
con.cursor().execute(open(sys.argv[2]).read())
con.commit()
PY
  echo "$work/p"
}
export DBTC_TEST_PG_DBNAME=golden_unit_build
dir=$(prepare_pg "$DBTC_TEST_PG_DBNAME")
dbt_in "$dir" build -q
reduce "$dir/target/run_results.json" "$out/postgres/build.json"
export DBTC_TEST_PG_DBNAME=golden_unit_test
dir=$(prepare_pg "$DBTC_TEST_PG_DBNAME")
dbt_in "$dir" seed -q
dbt_in "$dir" run -q
dbt_in "$dir" test -q
reduce "$dir/target/run_results.json" "$out/postgres/test.json"
