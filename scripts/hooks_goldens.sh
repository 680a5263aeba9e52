#!/usr/bin/env bash
# Regenerates the dbt-core goldens of fixtures/hooks (hooks, persist_docs, contracts): on a
# temp copy, runs `dbt seed`, `dbt run`, `dbt run` (the second run is incremental) and
# `dbt snapshot`, and
# writes under fixtures/hooks/expected/:
#   results.json   - per command, each node's status, and the message of every error
#   <schema>.<identifier>.json - for every relation in the database after the runs: its
#                    DESCRIBE output, all rows as text ordered by every column (as
#                    scripts/run_goldens.sh; the clock-valued dbt_* columns of a snapshot
#                    are left out of the rows), its kind, its comment and its columns'
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
for cmd in seed run run snapshot; do
  step=$((step + 1))
  # Failing models make dbt exit 1: expected.
  "$venv/bin/dbt" "$cmd" --profiles-dir . --target-path "$work/target" --log-path "$work/logs" -q || true
  cp "$work/target/run_results.json" "$work/results/$step-$cmd.json"
done
find "$out" -name '*.json' -delete
mkdir -p "$out"
"$venv/bin/python" - "$work/project/dev.duckdb" "$out" "$work/results" <<'PY'
import json, os, re, sys
import duckdb
path, out, results = sys.argv[1:4]
steps = []
for name in sorted(os.listdir(results)):
    doc = json.load(open(os.path.join(results, name)))
    nodes = {}
    for r in doc["results"]:
        entry = {"status": r["status"]}
        if r["status"] == "error":
            entry["message"] = re.sub(r"/tmp/tmp\.\w+", "<tmp>", r["message"])
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
    casts = ", ".join(f'cast("{c["name"]}" as varchar)' for c in columns
                      if not c["name"].startswith("dbt_"))
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

# Postgres (dbt-postgres 1.11, on a throwaway server of scripts/pg_server.sh, in a database
# `golden_hooks`): the same `dbt seed`, `dbt run`, `dbt run`, `dbt snapshot`, with the
# profile of fixtures/hooks/expected/postgres/profiles.yml; writes under expected/postgres/
# the results.json of those commands and every relation as scripts/postgres_goldens.sh
# dumps it (the rows without a snapshot's clock-valued dbt_* columns), plus its comment
# (obj_description), its columns' comments (col_description), its constraints
# (pg_constraint: type and columns) and its not-null columns.
"$venv/bin/python" -c 'import dbt.adapters.postgres' 2>/dev/null \
  || "$venv/bin/pip" install -q 'dbt-postgres~=1.9' >&2
pg="$out/postgres"
pgdir=$(mktemp -d)
trap 'rm -rf "$work"; "$root/scripts/pg_server.sh" stop "$pgdir"' EXIT
eval "$("$root/scripts/pg_server.sh" start "$pgdir")"
export DBTC_TEST_PG_DBNAME=golden_hooks
"$venv/bin/python" - <<'PY'
import os, psycopg2
admin = psycopg2.connect(host=os.environ["DBTC_TEST_PG_HOST"], port=os.environ["DBTC_TEST_PG_PORT"],
                         user=os.environ["DBTC_TEST_PG_USER"], password=os.environ["DBTC_TEST_PG_PASSWORD"],
                         dbname="postgres")
admin.autocommit = True
admin.cursor().execute('drop database if exists "golden_hooks"')
admin.cursor().execute('create database "golden_hooks"')
PY
rm -rf "$work/pgproject" "$work/results"
cp -r "$dir" "$work/pgproject"
rm -rf "$work/pgproject"/*.duckdb "$work/pgproject/expected" "$work/pgproject/target"
cp "$pg/profiles.yml" "$work/pgproject/profiles.yml"
mkdir -p "$work/results"
cd "$work/pgproject"
step=0
for cmd in seed run run snapshot; do
  step=$((step + 1))
  "$venv/bin/dbt" "$cmd" --profiles-dir . --target-path "$work/pgtarget" --log-path "$work/logs" -q || true
  cp "$work/pgtarget/run_results.json" "$work/results/$step-$cmd.json"
done
find "$pg" -name '*.json' -delete
"$venv/bin/python" - "$pg" "$work/results" <<'PY'
import json, os, re, sys
import psycopg2
out, results = sys.argv[1:3]
steps = []
for name in sorted(os.listdir(results)):
    doc = json.load(open(os.path.join(results, name)))
    nodes = {}
    for r in doc["results"]:
        entry = {"status": r["status"]}
        if r["status"] == "error":
            entry["message"] = re.sub(r"/tmp/tmp\.\w+", "<tmp>", r["message"])
        nodes[r["unique_id"]] = entry
    steps.append({"command": name.split("-", 1)[1][:-5], "nodes": dict(sorted(nodes.items()))})
with open(os.path.join(out, "results.json"), "w") as f:
    json.dump(steps, f, indent=2)
    f.write("\n")
con = psycopg2.connect(host=os.environ["DBTC_TEST_PG_HOST"], port=os.environ["DBTC_TEST_PG_PORT"],
                       user=os.environ["DBTC_TEST_PG_USER"], password=os.environ["DBTC_TEST_PG_PASSWORD"],
                       dbname=os.environ["DBTC_TEST_PG_DBNAME"])
cur = con.cursor()
cur.execute("select table_schema, table_name, table_type from information_schema.tables "
            "where table_schema not in ('pg_catalog', 'information_schema') order by 1, 2")
for schema, table, kind in cur.fetchall():
    # As scripts/postgres_goldens.sh (and tests/pg_common's dump).
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
    kept = [c for c in columns if not c["name"].startswith("dbt_")]
    casts = ", ".join('"%s"::text' % c["name"].replace('"', '""') for c in kept)
    order = ", ".join(str(i + 1) for i in range(len(kept)))
    cur.execute(f'select {casts} from "{schema}"."{table}" order by {order}')
    rows = [list(r) for r in cur.fetchall()]
    # The same queries as tests/hooks.rs.
    oid = f'"{schema}"."{table}"'
    cur.execute("select obj_description(%s::regclass, 'pg_class')", (oid,))
    comment = cur.fetchone()[0]
    cur.execute("select attname::text, col_description(attrelid, attnum) from pg_attribute "
                "where attrelid = %s::regclass and attnum > 0 and not attisdropped order by attnum", (oid,))
    column_comments = dict(cur.fetchall())
    cur.execute("select c.contype::text, (select string_agg(a.attname::text, ',' order by a.attnum) "
                "from pg_attribute a where a.attrelid = c.conrelid and a.attnum = any(c.conkey)) "
                "from pg_constraint c where c.conrelid = %s::regclass and c.contype <> 'n' order by 1, 2", (oid,))
    constraints = [list(r) for r in cur.fetchall()]
    cur.execute("select attname::text from pg_attribute where attrelid = %s::regclass "
                "and attnum > 0 and attnotnull order by attnum", (oid,))
    not_null = [r[0] for r in cur.fetchall()]
    doc = {"relation": f"{schema}.{table}", "kind": "view" if kind == "VIEW" else "table",
           "columns": columns, "rows": rows, "comment": comment,
           "column_comments": column_comments, "constraints": constraints, "not_null": not_null}
    with open(os.path.join(out, f"{schema}.{table}.json"), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print(f"  postgres {schema}.{table} ({doc['kind']}): {len(rows)} rows, comment {comment!r}")
PY
