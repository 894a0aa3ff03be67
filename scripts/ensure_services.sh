#!/usr/bin/env bash
# Make sure PostgreSQL and Redis run on 127.0.0.1 (installing them with apt-get on a fresh
# Debian machine), and that the PostgreSQL role the tests use exists. Idempotent.
set -euo pipefail

# What this script started, stopped again if a later step fails: a failed run leaves no
# half-configured service behind.
started_redis=""
cleanup() {
  status=$?
  if [ "$status" -ne 0 ] && [ -n "$started_redis" ]; then
    echo "== setup failed: stopping the Redis this run started" >&2
    redis-cli -h 127.0.0.1 -p 6379 shutdown nosave >/dev/null 2>&1 || true
  fi
  exit "$status"
}
trap cleanup EXIT

# apt-get and dpkg are quiet when they succeed; when one fails its whole output is shown.
apt_quietly() {
  local log
  log=$(mktemp)
  if ! "$@" >"$log" 2>&1; then
    echo "== failed: $*" >&2
    cat "$log" >&2
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
}

need_apt=()
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
command -v pg_ctlcluster >/dev/null 2>&1 || need_apt+=(postgresql)
if ((${#need_apt[@]})); then
  echo "== installing ${need_apt[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt_quietly apt-get update -qq
  apt_quietly apt-get install -y -qq "${need_apt[@]}"
fi

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "== starting Redis"
  started_redis=1
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/switchboard.log
  for _ in $(seq 50); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 0.1; done
fi

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "== starting PostgreSQL"
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  if [ -z "$version" ]; then
    echo "no PostgreSQL cluster found in /etc/postgresql" >&2; exit 1
  fi
  # pg_createcluster gives the new cluster the next free port when 5432 was taken at install
  # time (another PostgreSQL, a container); nothing answers on 5432 now, so move it there.
  port=$(pg_conftool -s "$version" main show port 2>/dev/null || echo 5432)
  if [ "$port" != 5432 ]; then
    echo "== moving PostgreSQL $version/main from port $port to 5432"
    pg_ctlcluster --skip-systemctl-redirect "$version" main stop 2>/dev/null || true
    pg_conftool "$version" main set port 5432
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 100); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 0.1; done
fi
pg_isready -h 127.0.0.1 -p 5432 -q || { echo "PostgreSQL did not start" >&2; exit 1; }

# A fresh Debian install only lets the postgres OS user in through the socket; the tests
# connect over TCP as the role in DATABASE_URL. Create it as a superuser (it creates test
# databases) when it is missing, and make local TCP logins trust-based like this machine's.
role=${PGROLE:-switchboard}
if ! PGPASSWORD=$role psql -h 127.0.0.1 -U "$role" -d postgres -c 'select 1' >/dev/null 2>&1; then
  echo "== creating PostgreSQL role $role"
  su postgres -c "psql -q -c \"CREATE ROLE $role LOGIN SUPERUSER PASSWORD '$role'\"" 2>/dev/null || true
  su postgres -c "psql -q -c \"ALTER ROLE $role LOGIN SUPERUSER PASSWORD '$role'\""
fi
if ! PGPASSWORD=$role psql -h 127.0.0.1 -U "$role" -d postgres -tAc "select 1 from pg_database where datname='$role'" | grep -q 1; then
  PGPASSWORD=$role psql -h 127.0.0.1 -U "$role" -d postgres -qc "CREATE DATABASE $role OWNER $role"
fi
