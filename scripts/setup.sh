#!/usr/bin/env bash
# Makes the checkout runnable: npm dependencies installed and TypeScript built, each only when
# out of date, so a warm `npm start` pays almost nothing here.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The data plane's Debian packages (dnsmasq, nft, busybox, dropbear): installed when root.
bash scripts/dataplane-deps.sh
# The cirros image (busybox, dropbear): built once into .cache/images/, rebuilt when its inputs change.
bash scripts/build-cirros.sh

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] || [ package.json -nt node_modules/.package-lock.json ]; then
  echo "kumo: installing npm dependencies..." >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

stamp=dist/.build-stamp
if [ ! -f "$stamp" ] || [ -n "$(find src test bench tsconfig.json package.json -newer "$stamp" -print -quit 2>/dev/null)" ]; then
  echo "kumo: building..." >&2
  rm -rf dist
  node_modules/.bin/tsc -p tsconfig.json
  touch "$stamp"
fi
