#!/usr/bin/env bash
# Starts a throwaway Kumo and runs the shared api-latency.mjs against it (quick mode; --full for
# the script's own iteration counts); its JSON lands in /tmp/kumo-api-latency-*.json.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec node dist/bench/run.js api-latency "$@"
