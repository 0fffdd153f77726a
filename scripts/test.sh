#!/usr/bin/env bash
# `npm test`: build, make sure the real OpenStack clients and PostgreSQL are there, start a
# private PostgreSQL cluster, and run every test file. Exits non-zero if anything failed.
#
#   KUMO_TEST_PG_URL=postgres://...   use this server instead of starting a private cluster
#   KUMO_TEST_SKIP_CLIENTS=1          do not insist on the OpenStack clients (CLI tests then skip, visibly)
#   KUMO_TEST_CONCURRENCY=N           test files run at once (default 2)
#   KUMO_TEST_FILES="dist/test/a.test.js ..."   run only these compiled test files
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

# The end-to-end tests drive Debian's unmodified clients; CI checks out shared/ beside the repo.
clients=../shared/tools/clients/install.sh
if [ -f "$clients" ]; then
  bash "$clients"
elif [ "${KUMO_TEST_SKIP_CLIENTS:-}" = 1 ]; then
  echo "kumo test: $clients not found; KUMO_TEST_SKIP_CLIENTS=1, so the CLI tests will be skipped" >&2
else
  echo "kumo test: ERROR: $clients not found (expected shared/ checked out beside this repo)." >&2
  echo "kumo test: set KUMO_TEST_SKIP_CLIENTS=1 to run without the OpenStack clients." >&2
  exit 2
fi

# The store suite and the PostgreSQL cloud tests must never be skipped for want of a server:
# if one cannot be started, the whole run fails here.
if [ -z "${KUMO_TEST_PG_URL:-}" ]; then
  pgdir=$(mktemp -d "${TMPDIR:-/tmp}/kumo-test-pg.XXXXXX")
  # Always stop the cluster and delete its files, however the run ends.
  trap 'bash scripts/postgres.sh stop "$pgdir"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  KUMO_TEST_PG_URL=$(bash scripts/postgres.sh start "$pgdir")
  export KUMO_TEST_PG_URL
  echo "kumo test: private PostgreSQL at $KUMO_TEST_PG_URL" >&2
fi

# Concurrency is safe: each test file is its own process, every in-process cloud listens on
# port 0 with its own temporary home, every child-process cloud takes a free port and its own
# home, and every PostgreSQL test gets a freshly created database with a random name.
# shellcheck disable=SC2206
files=(${KUMO_TEST_FILES:-dist/test/*.test.js})
node --test --test-reporter=spec --test-concurrency="${KUMO_TEST_CONCURRENCY:-2}" --test-timeout=300000 "${files[@]}"
