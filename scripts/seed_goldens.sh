#!/usr/bin/env bash
# Regenerates the dbt-core seed goldens: for every relation `dbt seed` creates,
#   fixtures/<name>/expected/seeds/<schema>.<identifier>.json
# holding its DESCRIBE output (column names and DuckDB types) and all its rows, ordered by
# every column, each value cast to VARCHAR in DuckDB (null stays null).
# Usage: scripts/seed_goldens.sh [fixture ...]   (default: every fixture with a seeds/ folder)
# Needs dbt-core 1.11 + dbt-duckdb 1.11.1 (and the duckdb module they bring) in $DBT_VENV
# (default .venv-dbt; created when missing, like scripts/goldens.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$("$root/scripts/dbt_venv.sh")
cd "$root/fixtures"
names=("$@")
[ ${#names[@]} -gt 0 ] || names=($(ls -d */ | tr -d /))
for name in "${names[@]}"; do
  dir="$root/fixtures/$name"
  [ -d "$dir/seeds" ] || continue
  work=$(mktemp -d)
  echo "== $name"
  # A copy: the profile's DuckDB path is relative to the project folder.
  cp -r "$dir" "$work/project"
  rm -f "$work/project"/*.duckdb
  (cd "$work/project" && DBT_SEND_ANONYMOUS_USAGE_STATS=false "$venv/bin/dbt" seed \
      --profiles-dir . --target-path "$work/target" --log-path "$work/logs" -q)
  rm -rf "$dir/expected/seeds"
  mkdir -p "$dir/expected/seeds"
  "$venv/bin/python" - "$work/project" "$dir/expected/seeds" <<'PY'
import glob, json, os, sys
import duckdb
project, out = sys.argv[1], sys.argv[2]
for path in glob.glob(os.path.join(project, "*.duckdb")):
    con = duckdb.connect(path, read_only=True)
    tables = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = current_database() order by 1, 2").fetchall()
    for schema, table in tables:
        rel = f'"{schema}"."{table}"'
        describe = con.execute(f"describe {rel}").fetchall()
        columns = [{"name": r[0], "type": r[1]} for r in describe]
        casts = ", ".join(f'cast("{c["name"]}" as varchar)' for c in columns)
        rows = con.execute(f"select {casts} from {rel} order by all").fetchall()
        doc = {"relation": f"{schema}.{table}", "columns": columns,
               "rows": [list(r) for r in rows]}
        with open(os.path.join(out, f"{schema}.{table}.json"), "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
        print(f"  {schema}.{table}: {len(rows)} rows")
PY
  rm -rf "$work"
done
