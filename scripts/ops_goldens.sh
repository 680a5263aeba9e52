#!/usr/bin/env bash
# Regenerates the dbt-core goldens of fixtures/ops (run-operation and on-run-* hooks):
#   fixtures/ops/expected/run_operation.json  per `dbt run-operation` case: its exit code,
#       its console lines (timestamps and timings masked), the run_results.json result and
#       the rows of the tables it touched
#   fixtures/ops/expected/build.json  `dbt build` (three times, with --vars: the last one
#       makes an on-run-start hook fail): console
#       lines, run_results.json results (timings left out) and the hook tables' rows
# Usage: scripts/ops_goldens.sh   Needs dbt-core 1.11 + dbt-duckdb 1.11.1 (scripts/dbt_venv.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$("$root/scripts/dbt_venv.sh")
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$root/fixtures/ops" "$work/ops"
rm -rf "$work/ops/expected" "$work/ops/target" "$work/ops"/*.duckdb
"$venv/bin/python" - "$work/ops" "$venv/bin/dbt" "$root/fixtures/ops/expected" <<'PY'
import json, os, re, subprocess, sys
import duckdb
project, dbt, out = sys.argv[1:4]

def run(args):
    p = subprocess.run([dbt, *args, "--profiles-dir", "."], cwd=project,
                       capture_output=True, text=True)
    lines = []
    for line in p.stdout.splitlines():
        line = re.sub(r"\x1b\[[0-9;]*m", "", line)
        line = re.sub(r"^\d\d:\d\d:\d\d  ", "", line)
        if re.match(r"(Running with dbt|Registered adapter|Found \d|Unable to do partial|Performance info)", line):
            continue
        line = re.sub(r"in \d+\.\d\ds\]", "in 0.00s]", line)
        line = re.sub(r"in \d+ hours \d+ minutes and \d+\.\d+ seconds \(\d+\.\d+s\)", "in TIME", line)
        lines.append(line)
    return p.returncode, lines

def results():
    doc = json.load(open(os.path.join(project, "target", "run_results.json")))
    keep = ("unique_id", "status", "thread_id", "failures", "message", "compiled",
            "compiled_code", "relation_name", "adapter_response")
    return [{k: r[k] for k in keep} | {"timing": [t["name"] for t in r["timing"]]}
            for r in doc["results"]]

def rows(table):
    con = duckdb.connect(os.path.join(project, "dev.duckdb"), read_only=True)
    try:
        return [list(r) for r in con.execute(f"select * from {table} order by all").fetchall()]
    except duckdb.Error:
        return None
    finally:
        con.close()

# run-operation: each case on the database the previous ones left.
cases = [
    ["make_audit", "--args", "{name: audit_a, rows: 4}"],
    ["count_rows", "--args", "{relation: main.audit_a}"],
    ["say_hello"],
    ["say_hello", "--args", '{"who": "tea"}'],
    ["fail_loudly"],
    ["bad_sql"],
    ["with_statement"],
    ["ops_audit.audit_mark", "--args", "{label: x}"],
    ["make_audit", "--args", "[1, 2]"],
]
ops = []
run(["seed"])  # its on-run-start hooks create main.audit_marks
for case in cases:
    code, lines = run(["run-operation", *case])
    ops.append({"args": case, "exit": code, "lines": lines, "results": results(),
                "audit_a": rows("main.audit_a"), "audit_marks": rows("main.audit_marks")})
json.dump(ops, open(os.path.join(out, "run_operation.json"), "w"), indent=1)

# The builds start from an empty database.
os.remove(os.path.join(project, "dev.duckdb"))
builds = []
# The third: a hook whose SQL fails (the quote in the label), so the hooks after it are
# skipped while the nodes run.
for args in (["build"], ["build", "--vars", "{label: second}"],
             ["build", "--vars", "{label: \"it's\"}"]):
    code, lines = run(args)
    builds.append({"args": args, "exit": code, "lines": lines, "results": results(),
                   "hook_log": rows("main.hook_log"), "audit_marks": rows("main.audit_marks")})
json.dump(builds, open(os.path.join(out, "build.json"), "w"), indent=1)
PY
echo "wrote $root/fixtures/ops/expected"
