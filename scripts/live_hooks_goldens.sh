#!/usr/bin/env bash
# Regenerates the dbt-core goldens of fixtures/live_hooks (model hooks whose rendering
# queries the database: adapter.drop_relation / get_relation, run_query; ephemeral models'
# target/compiled files): on a temp copy, runs `dbt build` then `dbt run -s grows` (an
# incremental run) and writes fixtures/live_hooks/expected/results.json:
#   steps     - per command, each node's status and the message of every error, and the
#               files under target/compiled and target/run after it (target cleared before)
#   relations - every relation in the database after both commands: its rows as text,
#               ordered by every column
# Needs dbt-core 1.11 + dbt-duckdb 1.11.1: see scripts/dbt_venv.sh ($DBT_VENV).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$("$root/scripts/dbt_venv.sh")
dir="$root/fixtures/live_hooks"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$dir" "$work/project"
rm -rf "$work/project"/*.duckdb "$work/project/expected" "$work/project/target"
cd "$work/project"
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
mkdir -p "$work/results"
step=0
for cmd in "build" "run -s grows"; do
  step=$((step + 1))
  rm -rf target
  # The failing model makes dbt exit 1: expected.
  # shellcheck disable=SC2086
  "$venv/bin/dbt" $cmd --profiles-dir . --log-path "$work/logs" -q || true
  mkdir -p "$work/results/$step"
  cp target/run_results.json "$work/results/$step/run_results.json"
  (find target/compiled target/run -type f 2>/dev/null || true) | sort > "$work/results/$step/files"
  echo "$cmd" > "$work/results/$step/command"
done
"$venv/bin/python" - "$work/project/dev.duckdb" "$dir/expected" "$work/results" <<'PY'
import json, os, re, sys
import duckdb
path, out, results = sys.argv[1:4]
steps = []
for name in sorted(os.listdir(results)):
    d = os.path.join(results, name)
    doc = json.load(open(os.path.join(d, "run_results.json")))
    nodes = {}
    for r in doc["results"]:
        entry = {"status": r["status"]}
        if r["status"] == "error":
            entry["message"] = r["message"]
        nodes[r["unique_id"]] = entry
    files = [l for l in open(os.path.join(d, "files")).read().splitlines() if l]
    steps.append({"command": open(os.path.join(d, "command")).read().strip(),
                  "nodes": dict(sorted(nodes.items())), "files": files})
con = duckdb.connect(path, read_only=True)
rels = con.execute(
    "select schema_name, table_name from duckdb_tables() where database_name = current_database() "
    "union all select schema_name, view_name from duckdb_views() "
    "where database_name = current_database() and not internal order by 1, 2").fetchall()
relations = {}
for schema, table in rels:
    rel = f'"{schema}"."{table}"'
    cols = [c[0] for c in con.execute(f"describe {rel}").fetchall()]
    casts = ", ".join(f'cast("{c}" as varchar)' for c in cols)
    relations[f"{schema}.{table}"] = [list(r) for r in con.execute(f"select {casts} from {rel} order by all").fetchall()]
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "results.json"), "w") as f:
    json.dump({"steps": steps, "relations": relations}, f, indent=2)
    f.write("\n")
print(json.dumps({"steps": steps, "relations": relations}, indent=1))
PY

# Postgres (dbt-postgres 1.11, on a throwaway server of scripts/pg_server.sh, in a database
# `golden_live_hooks`): the same two commands with the profile of
# fixtures/live_hooks/expected/postgres/profiles.yml; writes
# expected/postgres/results.json: each command's node statuses (and error messages), and
# every relation's rows as text ordered by every column.
"$venv/bin/python" -c 'import dbt.adapters.postgres' 2>/dev/null \
  || "$venv/bin/pip" install -q 'dbt-postgres~=1.9' >&2
pgdir=$(mktemp -d)
trap 'rm -rf "$work"; "$root/scripts/pg_server.sh" stop "$pgdir"' EXIT
eval "$("$root/scripts/pg_server.sh" start "$pgdir")"
export DBTC_TEST_PG_DBNAME=golden_live_hooks
"$venv/bin/python" - <<'PY'
import os, psycopg2
admin = psycopg2.connect(host=os.environ["DBTC_TEST_PG_HOST"], port=os.environ["DBTC_TEST_PG_PORT"],
                         user=os.environ["DBTC_TEST_PG_USER"], password=os.environ["DBTC_TEST_PG_PASSWORD"],
                         dbname="postgres")
admin.autocommit = True
admin.cursor().execute('drop database if exists "golden_live_hooks"')
admin.cursor().execute('create database "golden_live_hooks"')
PY
rm -rf "$work/pgproject" "$work/pgresults"
cp -r "$dir" "$work/pgproject"
rm -rf "$work/pgproject"/*.duckdb "$work/pgproject/expected" "$work/pgproject/target"
cp "$dir/expected/postgres/profiles.yml" "$work/pgproject/profiles.yml"
cd "$work/pgproject"
step=0
for cmd in "build" "run -s grows"; do
  step=$((step + 1))
  rm -rf target
  # shellcheck disable=SC2086
  "$venv/bin/dbt" $cmd --profiles-dir . --log-path "$work/logs" -q || true
  mkdir -p "$work/pgresults/$step"
  cp target/run_results.json "$work/pgresults/$step/run_results.json"
  echo "$cmd" > "$work/pgresults/$step/command"
done
"$venv/bin/python" - "$dir/expected/postgres" "$work/pgresults" <<'PY'
import json, os, sys
import psycopg2
out, results = sys.argv[1:3]
steps = []
for name in sorted(os.listdir(results)):
    d = os.path.join(results, name)
    doc = json.load(open(os.path.join(d, "run_results.json")))
    nodes = {}
    for r in doc["results"]:
        entry = {"status": r["status"]}
        if r["status"] == "error":
            entry["message"] = r["message"]
        nodes[r["unique_id"]] = entry
    steps.append({"command": open(os.path.join(d, "command")).read().strip(),
                  "nodes": dict(sorted(nodes.items()))})
con = psycopg2.connect(host=os.environ["DBTC_TEST_PG_HOST"], port=os.environ["DBTC_TEST_PG_PORT"],
                       user=os.environ["DBTC_TEST_PG_USER"], password=os.environ["DBTC_TEST_PG_PASSWORD"],
                       dbname=os.environ["DBTC_TEST_PG_DBNAME"])
cur = con.cursor()
cur.execute("select table_schema, table_name from information_schema.tables "
            "where table_schema not in ('pg_catalog', 'information_schema') order by 1, 2")
relations = {}
for schema, table in cur.fetchall():
    cur.execute("select column_name::text from information_schema.columns "
                "where table_schema = %s and table_name = %s order by ordinal_position", (schema, table))
    cols = [c[0] for c in cur.fetchall()]
    casts = ", ".join('"%s"::text' % c.replace('"', '""') for c in cols)
    order = ", ".join(str(i + 1) for i in range(len(cols)))
    cur.execute(f'select {casts} from "{schema}"."{table}" order by {order}')
    relations[f"{schema}.{table}"] = [list(r) for r in cur.fetchall()]
with open(os.path.join(out, "results.json"), "w") as f:
    json.dump({"steps": steps, "relations": relations}, f, indent=2)
    f.write("\n")
print(json.dumps(relations))
PY
