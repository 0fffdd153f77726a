#!/usr/bin/env bash
# A private, throwaway PostgreSQL cluster for the tests (Debian's packages, installed on demand).
#
#   bash scripts/postgres.sh start DIR   initdb into DIR, start on a free 127.0.0.1 port, print the URL
#   bash scripts/postgres.sh stop DIR    stop that cluster and delete DIR
#
# The cluster trusts loopback connections and has durability switched off: it exists only for
# the length of one test run, so speed matters and a crash loses nothing of value.
set -euo pipefail

die() { echo "postgres.sh: $*" >&2; exit 1; }

# Debian keeps the server binaries out of PATH, under /usr/lib/postgresql/<major>/bin.
find_bindir() {
  if command -v initdb >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v initdb)")"
    return 0
  fi
  local candidate
  candidate=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$candidate" ] && [ -x "$candidate/initdb" ]; then
    echo "$candidate"
    return 0
  fi
  return 1
}

install_postgres() {
  [ "$(id -u)" = 0 ] || die "PostgreSQL is not installed and we are not root: run 'sudo apt-get install postgresql'"
  command -v apt-get >/dev/null 2>&1 || die "PostgreSQL is not installed and there is no apt-get to install it"
  export DEBIAN_FRONTEND=noninteractive
  echo "postgres.sh: installing Debian's postgresql..." >&2
  # The package lists are empty on a fresh machine: fetch them once, only when needed.
  if ! apt-cache policy postgresql 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    apt-get -o DPkg::Lock::Timeout=900 update -qq >&2
  fi
  apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends postgresql >&2 </dev/null
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# Runs a server binary as the cluster's owner (PostgreSQL refuses to run as root), from DIR
# since the owner may not be allowed into the caller's working directory.
as_owner() {
  local dir=$1; shift
  if [ "$(id -u)" = 0 ]; then
    # runuser lives in /usr/sbin, which a non-login root shell may not have in PATH.
    local runuser
    runuser=$(PATH="$PATH:/usr/sbin:/sbin" command -v runuser) || die "runuser (util-linux) not found"
    (cd "$dir" && "$runuser" -u postgres -- "$@")
  else
    (cd "$dir" && "$@")
  fi
}

start() {
  local dir=$1 bindir port attempt
  bindir=$(find_bindir) || { install_postgres; bindir=$(find_bindir) || die "initdb not found even after installing postgresql"; }
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || die "the 'postgres' user does not exist (is the postgresql package installed properly?)"
    chown postgres: "$dir"
  fi
  as_owner "$dir" "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  # A free port can be taken between choosing it and binding it (tests run in parallel): retry.
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    if as_owner "$dir" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        >/dev/null 2>&1; then
      echo "postgres://postgres@127.0.0.1:$port/postgres"
      return 0
    fi
    echo "postgres.sh: start on port $port failed (attempt $attempt)" >&2
  done
  tail -n 20 "$dir/server.log" >&2 || true
  die "could not start PostgreSQL in $dir"
}

stop() {
  local dir=$1 bindir
  if [ -f "$dir/data/postmaster.pid" ] && bindir=$(find_bindir); then
    as_owner "$dir" "$bindir/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) [ -n "${2:-}" ] || die "usage: postgres.sh start DIR"; start "$2" ;;
  stop) [ -n "${2:-}" ] || die "usage: postgres.sh stop DIR"; stop "$2" ;;
  *) die "usage: postgres.sh start|stop DIR" ;;
esac
