#!/usr/bin/env bash
# Runs the differential test of static analysis against DuckDB (tests/sql_diff.rs) and
# shows its report: the summary on stdout, every disagreement in
# ${CARGO_TARGET_DIR:-target}/sql_diff_report.txt.
#
# Usage: scripts/sql_diff_report.sh [--full]
#   --full  also page through the full report file afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
export DUCKDB_LIB_DIR=${DUCKDB_LIB_DIR:-$(scripts/fetch_libduckdb.sh)}
status=0
cargo test --test sql_diff -- --nocapture || status=$?
if [[ "${1:-}" == "--full" ]]; then
  "${PAGER:-less}" "${CARGO_TARGET_DIR:-target}/sql_diff_report.txt"
fi
exit $status
