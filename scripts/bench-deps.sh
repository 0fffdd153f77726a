#!/usr/bin/env bash
# What `npm run bench` needs beyond the data plane's packages: iperf3, for the dataplane suite's
# TCP throughput between instances. Installed only when root and missing (the suite says it is
# skipped otherwise); Debian's package, never started as a daemon.
set -euo pipefail
PATH="$PATH:/usr/sbin:/sbin"
command -v iperf3 >/dev/null 2>&1 && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "kumo bench: iperf3 missing; not root or no apt-get, so the dataplane suite's TCP figures will be skipped" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
echo "kumo bench: installing iperf3" >&2
if ! apt-cache policy iperf3 2>/dev/null | grep -q 'Candidate: [0-9]'; then
  apt-get -o DPkg::Lock::Timeout=900 update -qq >&2
fi
apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends iperf3 >&2 </dev/null
