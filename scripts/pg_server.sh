#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests, on loopback only, in a temp data directory.
#   scripts/pg_server.sh start DIR   initdb + pg_ctl start in DIR (created), then prints the
#                                    `export DBTC_TEST_PG_*=...` lines the tests read
#   scripts/pg_server.sh stop DIR    stops the server and removes DIR
# As root (initdb refuses to run as root) the server runs as the `postgres` user, or
# `nobody` when there is none. PostgreSQL's binaries are found on PATH, then in
# /usr/lib/postgresql/<newest>/bin ($PG_BIN overrides). The server listens on 127.0.0.1
# and a Unix socket inside DIR; password authentication (scram-sha-256) over TCP.
set -euo pipefail
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

bin=${PG_BIN:-}
if [ -z "$bin" ]; then
  if command -v pg_ctl >/dev/null 2>&1; then
    bin=$(dirname "$(command -v pg_ctl)")
  else
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  fi
fi
[ -x "$bin/pg_ctl" ] || { echo "PostgreSQL binaries not found (set PG_BIN)" >&2; exit 1; }

# Runs a command as the server's owner.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    local user=postgres
    getent passwd postgres >/dev/null || user=nobody
    runuser -u "$user" -- "$@"
  else
    "$@"
  fi
}

case $cmd in
  start)
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then
      user=postgres
      getent passwd postgres >/dev/null || user=nobody
      chown "$user" "$dir"
    fi
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    password=dbtc-test-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
    printf '%s\n' "$password" >"$dir/pwfile"
    chmod 644 "$dir/pwfile"
    as_owner "$bin/initdb" -D "$dir/data" -U dbtc --pwfile="$dir/pwfile" \
      --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    rm -f "$dir/pwfile"
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off -c synchronous_commit=off" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "export DBTC_TEST_PG_HOST=127.0.0.1"
    echo "export DBTC_TEST_PG_PORT=$port"
    echo "export DBTC_TEST_PG_USER=dbtc"
    echo "export DBTC_TEST_PG_PASSWORD=$password"
    echo "export DBTC_TEST_PG_DBNAME=postgres"
    ;;
  stop)
    if [ -d "$dir/data" ]; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
