#!/usr/bin/env bash
# Regenerates the dbt-core `dbt build` and `dbt test` goldens of the fixtures, each on a
# fresh temp copy (source tables loaded first from expected/run/_sources.sql when present):
#   fixtures/<name>/expected/build/results.json   `dbt build`: per node its status, failures,
#                                                 compiled, relation_name and a test's message
#   fixtures/<name>/expected/build/<schema>.<identifier>.json
#                                                 every relation in the database afterwards
#                                                 (the dump of scripts/run_goldens.sh)
#   fixtures/<name>/expected/test/results.json    `dbt seed && dbt run && dbt test`: the
#                                                 test results
# results.json also lists the keys of dbt's run_results.json (top level, metadata, each
# result) so that the structure of dbtc's file can be compared; timings are left out.
# Usage: scripts/build_goldens.sh [fixture ...]   (default: every fixture)
# Needs dbt-core 1.11 + dbt-duckdb 1.11.1: see scripts/dbt_venv.sh ($DBT_VENV).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$("$root/scripts/dbt_venv.sh")
cd "$root/fixtures"
names=("$@")
[ ${#names[@]} -gt 0 ] || names=($(ls -d */ | tr -d /))
export DBT_SEND_ANONYMOUS_USAGE_STATS=false

# A fresh copy of fixture $1 in $2 with its source tables loaded.
prepare() {
  mkdir -p "$(dirname "$2")"
  cp -r "$root/fixtures/$1" "$2"
  rm -rf "$2"/*.duckdb "$2/expected" "$2/target"
  if [ -f "$root/fixtures/$1/expected/run/_sources.sql" ]; then
    "$venv/bin/python" - "$2/dev.duckdb" "$root/fixtures/$1/expected/run/_sources.sql" <<'PY'
import sys, duckdb
# dbtc links libduckdb 1.5.6: keep the file readable by it.
con = duckdb.connect(sys.argv[1], config={"storage_compatibility_version": "v1.2.0"})
con.execute(open(sys.argv[2]).read())
con.close()
PY
  fi
}

# dbt <args...> in project $1 (exit code ignored: failing tests exit 1).
dbt_in() {
  local dir=$1; shift
  (cd "$dir" && "$venv/bin/dbt" "$@" --profiles-dir . --target-path "$dir/../target" \
      --log-path "$dir/../logs" -q) || true
}

# Reduces run_results.json $1 to the golden $2 (only results whose unique_id starts
# with one of the prefixes in $3, comma-separated).
reduce() {
  "$venv/bin/python" - "$1" "$2" "$3" <<'PY'
import json, sys
results, out, prefixes = sys.argv[1], sys.argv[2], tuple(sys.argv[3].split(","))
doc = json.load(open(results))
def row(r):
    out = {"unique_id": r["unique_id"], "status": r["status"], "failures": r["failures"],
           "compiled": r["compiled"], "relation_name": r["relation_name"]}
    # Test verdicts are dbt's own words; error messages carry the database's.
    if r["status"] in ("pass", "warn", "fail"):
        out["message"] = r["message"]
    return out
rows = sorted(
    (row(r) for r in doc["results"] if r["unique_id"].startswith(prefixes)),
    key=lambda r: r["unique_id"])
reduced = {
    "keys": sorted(doc),
    "metadata_keys": sorted(doc["metadata"]),
    "result_keys": sorted(doc["results"][0]) if doc["results"] else [],
    "results": rows,
}
with open(out, "w") as f:
    json.dump(reduced, f, indent=2)
    f.write("\n")
print(f"  {out}: {len(rows)} results")
PY
}

for name in "${names[@]}"; do
  dir="$root/fixtures/$name"
  [ -f "$dir/dbt_project.yml" ] || continue
  echo "== $name"
  work=$(mktemp -d)
  prepare "$name" "$work/build/project"
  dbt_in "$work/build/project" build
  rm -rf "$dir/expected/build" "$dir/expected/test"
  mkdir -p "$dir/expected/build" "$dir/expected/test"
  reduce "$work/build/target/run_results.json" "$dir/expected/build/results.json" "seed.,model.,test.,snapshot."
  "$venv/bin/python" - "$work/build/project/dev.duckdb" "$dir/expected/build" <<'PY'
import json, os, sys
import duckdb
path, out = sys.argv[1:3]
con = duckdb.connect(path, read_only=True)
tables = con.execute(
    "select table_schema, table_name, table_type from information_schema.tables "
    "where table_catalog = current_database() order by 1, 2").fetchall()
for schema, table, kind in tables:
    rel = f'"{schema}"."{table}"'
    describe = con.execute(f"describe {rel}").fetchall()
    columns = [{"name": c[0], "type": c[1]} for c in describe]
    casts = ", ".join(f'cast("{c["name"]}" as varchar)' for c in columns)
    rows = con.execute(f"select {casts} from {rel} order by all").fetchall()
    doc = {"relation": f"{schema}.{table}", "kind": "view" if kind == "VIEW" else "table",
           "columns": columns, "rows": [list(r) for r in rows]}
    with open(os.path.join(out, f"{schema}.{table}.json"), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print(f"  {schema}.{table} ({doc['kind']}): {len(rows)} rows")
PY
  prepare "$name" "$work/test/project"
  dbt_in "$work/test/project" seed
  dbt_in "$work/test/project" run
  dbt_in "$work/test/project" test
  reduce "$work/test/target/run_results.json" "$dir/expected/test/results.json" "test."
  rm -rf "$work"
done
