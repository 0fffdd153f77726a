#!/usr/bin/env bash
# `npm start`: install and build what is missing, then run the cloud in the foreground.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
# A real data plane when root (the fake one otherwise), unless the user chose (KUMO_DATAPLANE).
export KUMO_DATAPLANE="${KUMO_DATAPLANE:-auto}"
exec node dist/src/cli/main.js start "$@"
