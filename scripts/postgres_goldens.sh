#!/usr/bin/env bash
# Regenerates the dbt-core + dbt-postgres goldens that tests/postgres.rs compares with:
#   fixtures/<name>/expected/postgres/results.json        `dbt build`: per node its status,
#       failures, compiled, relation_name and a test's message (as scripts/build_goldens.sh)
#   fixtures/<name>/expected/postgres/<schema>.<table>.json   every relation afterwards:
#       kind, columns (information_schema data_type, with length/precision) and the rows
#       cast to text, sorted
#   fixtures/<name>/expected/postgres/_grants.json, _indexes.json   the table privileges
#       granted by the build's user and the indexes of every table (index names are md5s
#       of a timestamp in dbt-postgres: left out)
# on a throwaway server (scripts/pg_server.sh), in a fresh database per fixture, after
# loading fixtures/<name>/expected/postgres/_sources.sql (and creating the roles of
# _roles.txt, one a line); the profile is fixtures/<name>/expected/postgres/profiles.yml.
# A fixture with a phase2/ folder (fixtures/incremental) is run twice instead, as
# scripts/incremental_goldens.sh does on DuckDB: seed, run, snapshot; then phase2/*.csv
# over seeds/ and seed, run, snapshot with --vars '{phase: 2}'; results.json is replaced
# by <verb>.json (unique_id, status, relation_name of the second run's nodes).
# Usage: scripts/postgres_goldens.sh [fixture ...]   (default: shop; the tests use shop,
#   builtin_macros, configs, macros_pkg, introspective, test_args, test_analysis,
#   legacy_paths, project_jinja, ops, incremental and pg_grants; fixtures/hooks and
#   fixtures/live_hooks have scripts of their own; pg_query_values: tests/postgres.rs)
# Needs dbt-core 1.11 + dbt-postgres 1.x in $DBT_VENV (installed there when missing).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$("$root/scripts/dbt_venv.sh")
"$venv/bin/python" -c 'import dbt.adapters.postgres' 2>/dev/null \
  || "$venv/bin/pip" install -q 'dbt-postgres~=1.9' >&2
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(shop)
export DBT_SEND_ANONYMOUS_USAGE_STATS=false

pgdir=$(mktemp -d)
trap '"$root/scripts/pg_server.sh" stop "$pgdir"' EXIT
eval "$("$root/scripts/pg_server.sh" start "$pgdir")"

for name in "${names[@]}"; do
  golden="$root/fixtures/$name/expected/postgres"
  [ -f "$golden/profiles.yml" ] || { echo "no $golden/profiles.yml" >&2; exit 1; }
  echo "== $name"
  work=$(mktemp -d)
  mkdir -p "$work/project"
  cp -r "$root/fixtures/$name/." "$work/project"
  rm -rf "$work/project/expected" "$work/project/target" "$work/project"/*.duckdb
  cp "$golden/profiles.yml" "$work/project/profiles.yml"
  export DBTC_TEST_PG_DBNAME="golden_$name"
  "$venv/bin/python" - "$golden/_sources.sql" <<'PY'
import os, sys, psycopg2
def connect(db):
    return psycopg2.connect(host=os.environ["DBTC_TEST_PG_HOST"], port=os.environ["DBTC_TEST_PG_PORT"],
                            user=os.environ["DBTC_TEST_PG_USER"], password=os.environ["DBTC_TEST_PG_PASSWORD"],
                            dbname=db)
admin = connect("postgres")
admin.autocommit = True
db = os.environ["DBTC_TEST_PG_DBNAME"]
admin.cursor().execute(f'drop database if exists "{db}"')
admin.cursor().execute(f'create database "{db}"')
roles = os.path.join(os.path.dirname(sys.argv[1]), "_roles.txt")
if os.path.exists(roles):
    for role in open(roles).read().split():
        cur = admin.cursor()
        cur.execute("select count(*) from pg_roles where rolname = %s", (role,))
        if cur.fetchone()[0] == 0:
            cur.execute(f'create role "{role}"')
con = connect(db)
if os.path.exists(sys.argv[1]):
    con.cursor().execute(open(sys.argv[1]).read())
con.commit()
PY
  dbt_in() {
    (cd "$work/project" && "$venv/bin/dbt" "$@" --profiles-dir . --target-path "$work/target" \
        --log-path "$work/logs" -q) || true
  }
  find "$golden" -name '*.json' -delete
  if [ -d "$work/project/phase2" ]; then
    for verb in seed run snapshot; do dbt_in "$verb"; done
    cp "$work/project"/phase2/*.csv "$work/project/seeds/"
    for verb in seed run snapshot; do
      dbt_in "$verb" --vars '{phase: 2}'
      "$venv/bin/python" - "$work/target/run_results.json" "$golden/$verb.json" <<'PY'
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
    done
  else
    dbt_in build
  fi
  "$venv/bin/python" - "$work/target/run_results.json" "$golden" <<'PY'
import json, os, sys
import psycopg2
results, out = sys.argv[1:3]
doc = json.load(open(results))
two_runs = os.path.exists(os.path.join(out, "run.json"))
def row(r):
    o = {"unique_id": r["unique_id"], "status": r["status"], "failures": r["failures"],
         "compiled": r["compiled"], "relation_name": r["relation_name"]}
    if r["status"] in ("pass", "warn", "fail"):
        o["message"] = r["message"]
    return o
reduced = {
    "keys": sorted(doc),
    "metadata_keys": sorted(doc["metadata"]),
    "result_keys": sorted(doc["results"][0]) if doc["results"] else [],
    "results": sorted((row(r) for r in doc["results"]), key=lambda r: r["unique_id"]),
}
if not two_runs:
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(reduced, f, indent=2)
        f.write("\n")
    print(f"  results.json: {len(reduced['results'])} results")
con = psycopg2.connect(host=os.environ["DBTC_TEST_PG_HOST"], port=os.environ["DBTC_TEST_PG_PORT"],
                       user=os.environ["DBTC_TEST_PG_USER"], password=os.environ["DBTC_TEST_PG_PASSWORD"],
                       dbname=os.environ["DBTC_TEST_PG_DBNAME"])
cur = con.cursor()
# The same query and formatting as tests/postgres.rs (and PostgresAdapter::columns).
cur.execute("select table_schema, table_name, table_type from information_schema.tables "
            "where table_schema not in ('pg_catalog', 'information_schema') order by 1, 2")
for schema, table, kind in cur.fetchall():
    cur.execute("select column_name::text, data_type::text, character_maximum_length::int, "
                "numeric_precision::int, numeric_scale::int from information_schema.columns "
                "where table_schema = %s and table_name = %s order by ordinal_position",
                (schema, table))
    columns = []
    for name, ty, length, precision, scale in cur.fetchall():
        if ty in ("character varying", "character") and length is not None:
            ty = f"{ty}({length})"
        elif ty == "numeric" and precision is not None and scale is not None:
            ty = f"numeric({precision},{scale})"
        columns.append({"name": name, "type": ty})
    casts = ", ".join('"%s"::text' % c["name"].replace('"', '""') for c in columns)
    order = ", ".join(str(i + 1) for i in range(len(columns)))
    cur.execute(f'select {casts} from "{schema}"."{table}" order by {order}')
    rows = [list(r) for r in cur.fetchall()]
    dump = {"relation": f"{schema}.{table}", "kind": "view" if kind == "VIEW" else "table",
            "columns": columns, "rows": rows}
    with open(os.path.join(out, f"{schema}.{table}.json"), "w") as f:
        json.dump(dump, f, indent=2)
        f.write("\n")
    print(f"  {schema}.{table} ({dump['kind']}): {len(rows)} rows")
# The same queries as tests/postgres.rs.
cur.execute("select table_schema || '.' || table_name, grantee, privilege_type "
            "from information_schema.role_table_grants "
            "where grantor = current_role and grantee != current_role "
            "and table_schema not in ('pg_catalog', 'information_schema') order by 1, 2, 3")
grants = [list(r) for r in cur.fetchall()]
cur.execute("select schemaname || '.' || tablename, "
            "regexp_replace(indexdef, 'INDEX \\S+ ON', 'INDEX ON') from pg_indexes "
            "where schemaname not in ('pg_catalog', 'information_schema') order by 1, 2")
indexes = [list(r) for r in cur.fetchall()]
for name, rows in (("_grants.json", grants), ("_indexes.json", indexes)):
    if rows:
        with open(os.path.join(out, name), "w") as f:
            json.dump(rows, f, indent=2)
            f.write("\n")
        print(f"  {name}: {len(rows)} rows")
PY
  # A fixture whose golden has a compiled_after_build/ folder (pg_query_values, ...): what
  # `dbt compile` writes after the build (and after the dumps above: a compile may change
  # the database), introspective nodes rendered with the data the build loaded (as
  # scripts/compile_live_goldens.sh on DuckDB).
  if [ -d "$golden/compiled_after_build" ]; then
    rm -rf "$work/target/compiled" "$golden/compiled_after_build"
    (cd "$work/project" && "$venv/bin/dbt" compile --profiles-dir . --target-path "$work/target" \
        --log-path "$work/logs" -q >/dev/null) || true
    cp -r "$work/target/compiled" "$golden/compiled_after_build"
    echo "  compiled_after_build: $(find "$golden/compiled_after_build" -type f | wc -l) files"
  fi
  rm -rf "$work"
done
