#!/usr/bin/env bash
# Fetch a prebuilt libduckdb.so (linux x86_64, glibc >= 2.25) without compiling DuckDB.
#
# Source: the npm package @duckdb/node-bindings-linux-x64, which ships the
# official libduckdb.so next to its Node addon. Only the npm registry is used.
#
# Usage: scripts/fetch_libduckdb.sh [DIR]
#   DIR defaults to $HOME/.cache/dbtc/libduckdb-$DUCKDB_VERSION.
#   Prints DIR (and nothing else) on stdout, so callers can do
#     export DUCKDB_LIB_DIR=$(scripts/fetch_libduckdb.sh)
# Idempotent: a DIR that already holds a libduckdb.so of the right version is reused.
#
# Keep in sync with the `duckdb` crate pin in Cargo.toml: crate 1.MMmmpp.x <=> DuckDB M.m.p
# (DuckDB 1.5.6 <=> duckdb = "=1.10506.1").
set -euo pipefail

DUCKDB_VERSION=1.5.6          # what duckdb_library_version() must report (without the "v")
NPM_VERSION=1.5.6-r.1         # npm package version that ships it
PKG=@duckdb/node-bindings-linux-x64

dir=${1:-$HOME/.cache/dbtc/libduckdb-$DUCKDB_VERSION}

# Load the library and ask it for its version (also proves it loads on this glibc).
check_version() {
  python3 - "$1/libduckdb.so" "$DUCKDB_VERSION" <<'EOF'
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
lib.duckdb_library_version.restype = ctypes.c_char_p
got = lib.duckdb_library_version().decode()
if got != "v" + sys.argv[2]:
    sys.exit(f"fetch_libduckdb: {sys.argv[1]} is DuckDB {got}, expected v{sys.argv[2]}")
EOF
}

if [[ -f $dir/libduckdb.so ]] && check_version "$dir" 2>/dev/null; then
  echo "$dir"; exit 0
fi

# Download + extract in a scratch dir, then move into place (no half-written cache on failure).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tgz=$(npm pack --silent --pack-destination "$tmp" "$PKG@$NPM_VERSION" | tail -n1)
tar -xzf "$tmp/$tgz" -C "$tmp" package/libduckdb.so
# The package has no duckdb.h; libduckdb-sys uses its pregenerated bindings, so none is needed.
check_version "$tmp/package"

mkdir -p "$dir"
mv -f "$tmp/package/libduckdb.so" "$dir/libduckdb.so"
echo "$dir"
