#!/usr/bin/env bash
# The Debian packages the Linux data plane runs on (dnsmasq, ip, nft, busybox for instances and
# test clients, dropbear for instances' sshd, conntrack for routers, haproxy for the per-network
# metadata proxies). Installed only when root and only what is missing, so a warm start pays one
# dpkg-query. Without root it says what is missing and carries on: the cloud then runs with the
# fake data plane.
set -euo pipefail

# package:command (or absolute file) that proves it is installed (dpkg-query alone misses
# half-removed packages).
wanted=(
  "iproute2:ip"
  "dnsmasq-base:dnsmasq"
  "dnsmasq-utils:dhcp_release"
  "nftables:nft"
  "busybox-static:busybox"
  "dropbear-bin:dropbear"
  # Ends the flows of a floating IP that was moved or removed (qrouter- namespaces).
  "conntrack:conntrack"
  # ping on the machine itself: host access (KUMO_HOST_ACCESS) and Tempest's scenarios use it.
  "iputils-ping:ping"
  # ssh into instances, as seed 001 does (ssh -i MY_KEY_DEMO.pem cirros@<floating ip>).
  "openssh-client:ssh"
  # The cirros image's setuid sudo is a small static C program (images/cirros/sudo.c).
  "gcc:gcc"
  "libc6-dev:/usr/include/stdio.h"
  # The metadata proxy in each qdhcp- namespace (169.254.169.254:80 → the metadata service's socket).
  "haproxy:haproxy"
)

PATH="$PATH:/usr/sbin:/sbin"
missing=()
for entry in "${wanted[@]}"; do
  pkg=${entry%%:*} cmd=${entry#*:}
  case "$cmd" in
    /*) [ -e "$cmd" ] || missing+=("$pkg") ;;
    *) command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg") ;;
  esac
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "kumo: data plane packages missing (${missing[*]}); not root or no apt-get, so not installing them" >&2
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
echo "kumo: installing data plane packages: ${missing[*]}" >&2
# The package lists are empty on a fresh machine: fetch them once, only when needed.
if ! apt-cache policy "${missing[0]}" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
  apt-get -o DPkg::Lock::Timeout=900 update -qq >&2
fi
apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >&2 </dev/null
