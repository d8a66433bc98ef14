#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and CI.
#   scripts/pg-cluster.sh start DIR   initdb into DIR (as the `postgres` user
#                                     when run as root), listen on 127.0.0.1 on
#                                     a free port with scram-sha-256 password
#                                     auth, create the admin login `ct_admin`
#                                     (CREATEROLE) and its database `ct_admin`;
#                                     prints `export CT_PG_ADMIN_URL=...`
#                                     (also written to DIR/admin_url) and
#                                     `export CT_PG_CA=DIR/ca.crt`: TLS is on,
#                                     with a throwaway CA
#                                     (sslmode=verify-full works)
#   scripts/pg-cluster.sh stop DIR    stops it (the directory stays)
# Durability is the server's default (fsync on, synchronous_commit on).
set -euo pipefail
cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi
bindir=$(pg_config --bindir 2>/dev/null || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "error: no PostgreSQL server binaries (initdb) found; install postgresql" >&2
  exit 2
fi

# Runs a server binary as the cluster's owner: `postgres` when we are root
# (initdb refuses root), else ourselves.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 - <<'PY' 2>/dev/null || echo $((20000 + RANDOM % 20000))
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

case "$cmd" in
start)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  data="$dir/data"
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$dir"
  fi
  password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  pwfile="$dir/superuser.pw"
  as_owner bash -c "umask 077; printf '%s\n' '$password' > '$pwfile'"
  as_owner "$bindir/initdb" -D "$data" -A scram-sha-256 --pwfile="$pwfile" \
    -U postgres -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 2; }
  port=$(free_port)
  # TLS with a throwaway CA (ca.crt is kept for tests: sslrootcert=DIR/ca.crt),
  # the server's certificate naming 127.0.0.1 and localhost.
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=control-tower test CA" \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" >/dev/null 2>&1
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$dir/server.key" -out "$dir/server.csr" >/dev/null 2>&1
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$dir/san.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -CAcreateserial -days 2 -extfile "$dir/san.ext" -out "$dir/server.crt" >/dev/null 2>&1
  chmod 600 "$dir/server.key" "$dir/ca.key"
  chmod 644 "$dir/ca.crt"
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$dir/server.key" "$dir/server.crt"
  fi
  as_owner bash -c "cat >> '$data/postgresql.conf'" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
ssl = on
ssl_cert_file = '$dir/server.crt'
ssl_key_file = '$dir/server.key'
CONF
  as_owner bash -c "cat > '$data/pg_hba.conf'" <<HBA
local all all scram-sha-256
host all all 127.0.0.1/32 scram-sha-256
HBA
  as_owner "$bindir/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start >/dev/null \
    || { cat "$dir/server.log" >&2; exit 2; }
  admin_pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  PGPASSWORD=$password psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres <<SQL >/dev/null
CREATE ROLE ct_admin LOGIN CREATEROLE CREATEDB PASSWORD '$admin_pw';
CREATE DATABASE ct_admin OWNER ct_admin;
SQL
  url="postgresql://ct_admin:$admin_pw@127.0.0.1:$port/ct_admin"
  printf '%s\n' "$url" >"$dir/admin_url"
  chmod 600 "$dir/admin_url"
  echo "export CT_PG_ADMIN_URL='$url'"
  echo "export CT_PG_CA='$dir/ca.crt'"
  ;;
stop)
  data="$dir/data"
  if [ -f "$data/postmaster.pid" ]; then
    as_owner "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null
  fi
  ;;
*)
  echo "usage: $0 start|stop DIR" >&2
  exit 2
  ;;
esac
