#!/usr/bin/env bash
# ensure-postgres.sh makes sure a PostgreSQL server answers at the test URL's host and port, so
# that `make test` never skips database tests. In order it: checks with pg_isready; starts a
# local Debian cluster that is installed but stopped; installs PostgreSQL from the distribution
# (only as root with apt-get, e.g. on CI) and allows trust auth on 127.0.0.1. Otherwise it
# fails with a message that says how to get one.
set -euo pipefail

url="${SCIMD_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
hostport="${url#*://}"; hostport="${hostport#*@}"; hostport="${hostport%%/*}"; hostport="${hostport%%\?*}"
host="${hostport%%:*}"; port="${hostport##*:}"
[ "$port" = "$hostport" ] && port=5432
[ -z "$host" ] && host=127.0.0.1

ready() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "$host" -p "$port" -t 2
  else
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
  fi
}

wait_ready() {
  for _ in $(seq 1 30); do ready && return 0; sleep 1; done
  return 1
}

if ready; then exit 0; fi

local_host=false
case "$host" in 127.0.0.1|localhost|::1) local_host=true ;; esac
if ! $local_host; then
  echo "ensure-postgres: no PostgreSQL answers at $host:$port (from SCIMD_TEST_DATABASE_URL)." >&2
  echo "Start that server, or unset SCIMD_TEST_DATABASE_URL to use a local one on 127.0.0.1:5432." >&2
  exit 1
fi

start_clusters() {
  if command -v pg_lsclusters >/dev/null 2>&1; then
    pg_lsclusters -h 2>/dev/null | while read -r ver name _rest; do
      pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start 2>/dev/null || true
    done
  fi
}

echo "ensure-postgres: nothing answers at $host:$port; trying to start a local cluster" >&2
start_clusters
if wait_ready; then exit 0; fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-postgres: installing PostgreSQL with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
  # A fresh Debian cluster uses peer/scram auth; tests connect as postgres over TCP without a
  # password, so allow trust on the loopback addresses only.
  for hba in /etc/postgresql/*/main/pg_hba.conf; do
    grep -q '^host all all 127.0.0.1/32 trust' "$hba" || sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  done
  start_clusters
  for ver in $(ls /etc/postgresql 2>/dev/null); do
    pg_ctlcluster --skip-systemctl-redirect "$ver" main reload 2>/dev/null || true
  done
  if wait_ready; then exit 0; fi
fi

cat >&2 <<MSG
ensure-postgres: no PostgreSQL server answers at $host:$port, and none could be started.
The tests need a real PostgreSQL (12 or newer). Either:
  - install and start one locally (Debian/Ubuntu: sudo apt-get install postgresql), allowing
    user postgres to connect from 127.0.0.1 without a password (trust in pg_hba.conf), or
  - run one in a container: docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:16
  - or point SCIMD_TEST_DATABASE_URL at a server where the user may create databases.
MSG
exit 1
