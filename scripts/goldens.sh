#!/usr/bin/env bash
# Regenerates the dbt-core goldens of the fixture projects:
#   fixtures/<name>/expected/compiled/**   what `dbt compile` writes under target/compiled
#   fixtures/<name>/expected/nodes.json    the manifest's node list, reduced to stable keys
#   fixtures/<name>/expected/disabled.json the unique_ids of the disabled nodes
#   fixtures/<name>/expected/parse_depends_on.json  depends_on.macros after `dbt parse`
# Usage: scripts/goldens.sh [fixture ...]   (default: every folder under fixtures/)
# Needs dbt-core 1.11 + dbt-duckdb 1.11.1; a venv is created in $DBT_VENV (default .venv-dbt).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$("$root/scripts/dbt_venv.sh")
cd "$root/fixtures"
names=("$@")
[ ${#names[@]} -gt 0 ] || names=($(ls -d */ | tr -d /))
for name in "${names[@]}"; do
  dir="$root/fixtures/$name"
  [ -f "$dir/dbt_project.yml" ] || continue
  work=$(mktemp -d)
  echo "== $name"
  (cd "$dir" && DBT_SEND_ANONYMOUS_USAGE_STATS=false "$venv/bin/dbt" compile \
      --project-dir "$dir" --profiles-dir "$dir" --target-path "$work/target" \
      --log-path "$work/logs" --no-partial-parse -q)
  # expected/seeds (scripts/seed_goldens.sh) is kept.
  rm -rf "$dir/expected/compiled" "$dir/expected/ls" "$dir/expected/nodes.json" "$dir/expected/disabled.json" "$dir/expected/parse_depends_on.json"
  mkdir -p "$dir/expected"
  cp -r "$work/target/compiled" "$dir/expected/compiled"
  python3 "$root/scripts/reduce_manifest.py" "$work/target/manifest.json" > "$dir/expected/nodes.json"
  python3 "$root/scripts/reduce_manifest.py" "$work/target/manifest.json" --disabled > "$dir/expected/disabled.json"
  # `dbt parse`'s depends_on.macros (a parse does not render dbt's not_null/unique tests).
  (cd "$dir" && DBT_SEND_ANONYMOUS_USAGE_STATS=false "$venv/bin/dbt" parse \
      --project-dir "$dir" --profiles-dir "$dir" --target-path "$work/parse" \
      --log-path "$work/logs" --no-partial-parse -q)
  python3 "$root/scripts/reduce_manifest.py" "$work/parse/manifest.json" --depends-on-macros > "$dir/expected/parse_depends_on.json"
  # `dbt ls` for each line of selectors.txt (the arguments after `dbt ls`), if present.
  if [ -f "$dir/selectors.txt" ]; then
    mkdir -p "$dir/expected/ls"
    i=0
    while IFS= read -r args; do
      [ -n "$args" ] || continue
      i=$((i + 1))
      { echo "$args"
        (cd "$dir" && DBT_SEND_ANONYMOUS_USAGE_STATS=false "$venv/bin/dbt" ls $args \
            --project-dir "$dir" --profiles-dir "$dir" --target-path "$work/target" \
            --log-path "$work/logs" -q --output selector | sort)
      } > "$dir/expected/ls/$i.txt"
    done < "$dir/selectors.txt"
  fi
  rm -rf "$work"
  find "$dir" -name '*.duckdb*' -delete
done
