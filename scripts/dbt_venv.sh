#!/usr/bin/env bash
# Prints the path of a venv with dbt-core 1.11 + dbt-duckdb 1.11.1, creating it when
# missing: $DBT_VENV, default <repo>/.venv-dbt. Used by the golden scripts.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${DBT_VENV:-$root/.venv-dbt}
if [ ! -x "$venv/bin/dbt" ]; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q 'dbt-core~=1.11.0' 'dbt-duckdb==1.11.1' >&2
fi
echo "$venv"
