#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests, on loopback only, in a temp data directory.
#   scripts/pg_server.sh start DIR   initdb + pg_ctl start in DIR (created), then prints the
#                                    `export DBTC_TEST_PG_*=...` lines the tests read
#   scripts/pg_server.sh stop DIR    stops the server and removes DIR
# As root (initdb refuses to run as root) the server runs as the `postgres` user, or
# `nobody` when there is none. PostgreSQL's binaries are found on PATH, then in
# /usr/lib/postgresql/<newest>/bin ($PG_BIN overrides). The server listens on 127.0.0.1
# and a Unix socket inside DIR; password authentication (scram-sha-256) over TCP.
#
# TLS (tests/postgres_tls.rs): when the `openssl` command is there (Debian's postgresql
# package depends on it) and DBTC_PG_SSL is not 0, the server also accepts TLS (`ssl=on`;
# plain connections still work, so sslmode prefer -- the default -- uses TLS and disable
# does not). DIR/tls holds a test CA (ca.crt), the server's certificate signed by it (for
# the address 127.0.0.1 only, so `localhost` is a host name mismatch), an unrelated CA
# (other-ca.crt) and a client certificate for the role `dbtc_cert` (client.crt,
# client.key), and DBTC_TEST_PG_SSLROOTCERT=DIR/tls/ca.crt is printed. pg_hba.conf then
# admits the role `dbtc_tls_only` (same password as `dbtc`) over TLS only, and `dbtc_cert`
# by its client certificate (`cert` authentication) only.
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
    ssl_opts=
    if [ "${DBTC_PG_SSL:-1}" != 0 ] && command -v openssl >/dev/null 2>&1; then
      tls=$dir/tls
      mkdir -p "$tls"
      # EC P-256 keys (fast to make); certificates valid for ten days.
      mk_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
      mk_ca() {
        mk_key "$tls/$1.key"
        openssl req -x509 -new -key "$tls/$1.key" -out "$tls/$1.crt" -days 10 -subj "/CN=$2" \
          -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
      }
      # $1 name, $2 subject CN, $3 extensions (one per line)
      mk_cert() {
        mk_key "$tls/$1.key"
        openssl req -new -key "$tls/$1.key" -subj "/CN=$2" -out "$tls/$1.csr"
        printf '%s\n' "$3" >"$tls/$1.ext"
        openssl x509 -req -in "$tls/$1.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" \
          -CAcreateserial -days 10 -extfile "$tls/$1.ext" -out "$tls/$1.crt" 2>/dev/null
        rm -f "$tls/$1.csr" "$tls/$1.ext"
      }
      mk_ca ca "dbtc test CA"
      mk_ca other-ca "dbtc unrelated CA"
      mk_cert server dbtc-test-server "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1"
      mk_cert client dbtc_cert "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
      rm -f "$tls/ca.key" "$tls/other-ca.key" "$tls/ca.srl"
      chmod 600 "$tls"/*.key
      chmod 644 "$tls"/*.crt
      if [ "$(id -u)" = 0 ]; then
        chown "$user" "$tls/server.key"
      fi
      hba=$dir/data/pg_hba.conf
      {
        echo "# dbtc's TLS tests (scripts/pg_server.sh)"
        echo "hostnossl all dbtc_tls_only 127.0.0.1/32 reject"
        echo "hostssl all dbtc_tls_only 127.0.0.1/32 scram-sha-256"
        echo "hostssl all dbtc_cert 127.0.0.1/32 cert"
        cat "$hba"
      } >"$dir/hba.tmp"
      as_owner cp "$dir/hba.tmp" "$hba"
      rm -f "$dir/hba.tmp"
      ssl_opts="-c ssl=on -c ssl_cert_file=$tls/server.crt -c ssl_key_file=$tls/server.key -c ssl_ca_file=$tls/ca.crt"
    elif [ "${DBTC_PG_SSL:-1}" != 0 ]; then
      echo "pg_server.sh: no openssl command, so the server has no TLS (tests/postgres_tls.rs skips)" >&2
    fi
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off -c synchronous_commit=off $ssl_opts" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    if [ -n "$ssl_opts" ]; then
      psql=$bin/psql
      [ -x "$psql" ] || psql=$(dirname "$(readlink -f "$bin/pg_ctl")")/psql
      [ -x "$psql" ] || psql=$(command -v psql)
      as_owner "$psql" -h "$dir" -p "$port" -U dbtc -d postgres -v ON_ERROR_STOP=1 -q \
        -c "create role dbtc_tls_only login password '$password'" \
        -c "create role dbtc_cert login" >/dev/null
    fi
    echo "export DBTC_TEST_PG_HOST=127.0.0.1"
    echo "export DBTC_TEST_PG_PORT=$port"
    echo "export DBTC_TEST_PG_USER=dbtc"
    echo "export DBTC_TEST_PG_PASSWORD=$password"
    echo "export DBTC_TEST_PG_DBNAME=postgres"
    if [ -n "$ssl_opts" ]; then
      echo "export DBTC_TEST_PG_SSLROOTCERT=$dir/tls/ca.crt"
    fi
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
