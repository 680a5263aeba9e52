#!/usr/bin/env bash
# Regenerates the goldens of fixtures/incremental: the project is run twice by dbt-core 1.11
# + dbt-duckdb 1.11.1, the second time with the seed files of phase2/ and --vars '{phase: 2}':
#   1. dbt seed; dbt run; dbt snapshot
#   2. cp phase2/*.csv seeds/; dbt seed; dbt run --vars '{phase: 2}'; dbt snapshot --vars ...
# and writes
#   fixtures/incremental/expected/twice/<verb>.json   the second run's results per command
#                                                     (unique_id, status, relation_name)
#   fixtures/incremental/expected/twice/<schema>.<identifier>.json
#                                                     every relation afterwards (columns,
#                                                     DuckDB types, rows as text, ordered)
# Snapshot timestamps of the check strategy and of hard deletes come from the clock:
# tests/incremental_models.rs (and tests/postgres_incremental.rs)
# compares their structure only.
# Needs dbt-core 1.11 + dbt-duckdb 1.11.1: see scripts/dbt_venv.sh ($DBT_VENV).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$("$root/scripts/dbt_venv.sh")
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
name=incremental
dir="$root/fixtures/$name"
work=$(mktemp -d)
project="$work/project"
cp -r "$dir" "$project"
rm -rf "$project"/*.duckdb "$project/expected" "$project/target"
# dbtc links libduckdb 1.5.6: keep the file readable by it.
"$venv/bin/python" -c "
import duckdb, sys
duckdb.connect(sys.argv[1], config={'storage_compatibility_version': 'v1.2.0'}).close()
" "$project/dev.duckdb"
out="$dir/expected/twice"
rm -rf "$out"
mkdir -p "$out"

dbt_in() {
  (cd "$project" && "$venv/bin/dbt" "$@" --profiles-dir . --target-path "$work/target" \
      --log-path "$work/logs" -q) || true
}

reduce() {
  "$venv/bin/python" - "$work/target/run_results.json" "$1" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
rows = sorted(({"unique_id": r["unique_id"], "status": r["status"],
                "relation_name": r["relation_name"]} for r in doc["results"]),
              key=lambda r: r["unique_id"])
with open(sys.argv[2], "w") as f:
    json.dump({"results": rows}, f, indent=2)
    f.write("\n")
print(f"  {sys.argv[2]}: {len(rows)} results")
PY
}

dbt_in seed
dbt_in run
dbt_in snapshot
cp "$project"/phase2/*.csv "$project/seeds/"
for verb in seed run snapshot; do
  dbt_in "$verb" --vars '{phase: 2}'
  reduce "$out/$verb.json"
done
"$venv/bin/python" - "$project/dev.duckdb" "$out" <<'PY'
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
rm -rf "$work"
