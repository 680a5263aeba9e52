#!/usr/bin/env bash
# Regenerates the dbt-core `dbt run` goldens of the shop fixture: on a temp copy, loads the
# source tables (fixtures/shop/expected/run/_sources.sql), runs `dbt seed && dbt run`, and
# for every model relation `dbt run` built writes
#   fixtures/shop/expected/run/<schema>.<identifier>.json
# with its DESCRIBE output (column names and DuckDB types) and all its rows, ordered by
# every column, each value cast to VARCHAR in DuckDB (null stays null) — the same dump as
# scripts/seed_goldens.sh.
# Needs dbt-core 1.11 + dbt-duckdb 1.11.1: see scripts/dbt_venv.sh ($DBT_VENV).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$("$root/scripts/dbt_venv.sh")
name=shop
dir="$root/fixtures/$name"
out="$dir/expected/run"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$dir" "$work/project"
rm -rf "$work/project"/*.duckdb "$work/project/expected" "$work/project/target"
"$venv/bin/python" - "$work/project/dev.duckdb" "$out/_sources.sql" <<'PY'
import sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute(open(sys.argv[2]).read())
con.close()
PY
cd "$work/project"
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
"$venv/bin/dbt" seed --profiles-dir . --target-path "$work/target" --log-path "$work/logs" -q
"$venv/bin/dbt" run --profiles-dir . --target-path "$work/target" --log-path "$work/logs" -q
find "$out" -name '*.json' -delete
"$venv/bin/python" - "$work/project/dev.duckdb" "$out" "$work/target/run_results.json" "$work/target/manifest.json" <<'PY'
import json, os, sys
import duckdb
path, out, results, manifest = sys.argv[1:5]
nodes = json.load(open(manifest))["nodes"]
con = duckdb.connect(path, read_only=True)
for r in json.load(open(results))["results"]:
    node = nodes[r["unique_id"]]
    if node["resource_type"] != "model" or r["status"] != "success":
        continue
    schema, table = node["schema"], node["alias"]
    rel = f'"{schema}"."{table}"'
    describe = con.execute(f"describe {rel}").fetchall()
    columns = [{"name": c[0], "type": c[1]} for c in describe]
    casts = ", ".join(f'cast("{c["name"]}" as varchar)' for c in columns)
    rows = con.execute(f"select {casts} from {rel} order by all").fetchall()
    kind = con.execute(
        "select table_type from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table]).fetchone()[0]
    doc = {"relation": f"{schema}.{table}", "kind": "view" if kind == "VIEW" else "table",
           "columns": columns, "rows": [list(r) for r in rows]}
    with open(os.path.join(out, f"{schema}.{table}.json"), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print(f"  {schema}.{table} ({doc['kind']}): {len(rows)} rows")
PY
