#!/usr/bin/env bash
# `npm start`: install and build what is missing, then run the cloud in the foreground.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec node dist/src/cli/main.js start "$@"
