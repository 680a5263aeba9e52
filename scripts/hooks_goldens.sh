#!/usr/bin/env bash
# Regenerates the dbt-core goldens of fixtures/hooks (hooks, persist_docs, contracts): on a
# temp copy, runs `dbt seed`, `dbt run`, `dbt run` (the second run is incremental), and
# writes under fixtures/hooks/expected/:
#   results.json   - per command, each node's status, and the message of every error
#   <schema>.<identifier>.json - for every relation in the database after the runs: its
#                    DESCRIBE output, all rows as text ordered by every column (as
#                    scripts/run_goldens.sh), its kind, its comment and its columns'
#                    comments (duckdb_tables/duckdb_views/duckdb_columns), and its
#                    constraints (duckdb_constraints: type and columns)
# Needs dbt-core 1.11 + dbt-duckdb 1.11.1: see scripts/dbt_venv.sh ($DBT_VENV).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$("$root/scripts/dbt_venv.sh")
dir="$root/fixtures/hooks"
out="$dir/expected"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$dir" "$work/project"
rm -rf "$work/project"/*.duckdb "$work/project/expected" "$work/project/target"
cd "$work/project"
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
mkdir -p "$work/results"
step=0
for cmd in seed run run; do
  step=$((step + 1))
  # Failing models make dbt exit 1: expected.
  "$venv/bin/dbt" "$cmd" --profiles-dir . --target-path "$work/target" --log-path "$work/logs" -q || true
  cp "$work/target/run_results.json" "$work/results/$step-$cmd.json"
done
find "$out" -name '*.json' -delete
mkdir -p "$out"
"$venv/bin/python" - "$work/project/dev.duckdb" "$out" "$work/results" <<'PY'
import json, os, sys
import duckdb
path, out, results = sys.argv[1:4]
steps = []
for name in sorted(os.listdir(results)):
    doc = json.load(open(os.path.join(results, name)))
    nodes = {}
    for r in doc["results"]:
        entry = {"status": r["status"]}
        if r["status"] == "error":
            entry["message"] = r["message"]
        nodes[r["unique_id"]] = entry
    steps.append({"command": name.split("-", 1)[1][:-5], "nodes": dict(sorted(nodes.items()))})
with open(os.path.join(out, "results.json"), "w") as f:
    json.dump(steps, f, indent=2)
    f.write("\n")
con = duckdb.connect(path, read_only=True)
rels = con.execute(
    "select schema_name, table_name, 'table', comment from duckdb_tables() where database_name = current_database() "
    "union all select schema_name, view_name, 'view', comment from duckdb_views() "
    "where database_name = current_database() and not internal order by 1, 2").fetchall()
for schema, table, kind, comment in rels:
    rel = f'"{schema}"."{table}"'
    describe = con.execute(f"describe {rel}").fetchall()
    columns = [{"name": c[0], "type": c[1]} for c in describe]
    casts = ", ".join(f'cast("{c["name"]}" as varchar)' for c in columns)
    rows = con.execute(f"select {casts} from {rel} order by all").fetchall()
    column_comments = dict(con.execute(
        "select column_name, comment from duckdb_columns() where database_name = current_database() "
        "and schema_name = ? and table_name = ? order by column_index", [schema, table]).fetchall())
    constraints = sorted(
        [t, list(c)] for t, c in con.execute(
            "select constraint_type, constraint_column_names from duckdb_constraints() "
            "where database_name = current_database() and schema_name = ? and table_name = ?",
            [schema, table]).fetchall())
    doc = {"relation": f"{schema}.{table}", "kind": kind, "columns": columns,
           "rows": [list(r) for r in rows], "comment": comment,
           "column_comments": column_comments, "constraints": constraints}
    with open(os.path.join(out, f"{schema}.{table}.json"), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print(f"  {schema}.{table} ({kind}): {len(rows)} rows, comment {comment!r}")
PY
