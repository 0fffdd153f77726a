#!/usr/bin/env bash
# Builds Kumo's `cirros` image: a few-MB root filesystem tarball from the host's Debian packages
# (busybox-static, dropbear-bin) plus the files in images/cirros/ (init, kumo-metadata, udhcpc
# script, users, a wget-based curl and a static setuid sudo built from sudo.c).
# Reproducible: fixed mtimes, sorted names, numeric owners, so the same packages give the same
# checksum. Output: .cache/images/cirros-rootfs.tar (KUMO_HOME-independent, rebuilt only when
# its inputs are newer). Without busybox or dropbear it says so and leaves no file: Glance then
# keeps the placeholder.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PATH="$PATH:/usr/sbin:/sbin"

out=.cache/images/cirros-rootfs.tar
src=images/cirros
busybox=$(command -v busybox || true)
dropbear=$(command -v dropbear || true)
dropbearkey=$(command -v dropbearkey || true)
if [ -z "$busybox" ] || [ -z "$dropbear" ] || [ -z "$dropbearkey" ]; then
  echo "kumo: busybox-static or dropbear-bin missing; cirros stays a placeholder" >&2
  exit 0
fi
if [ -f "$out" ] && [ -z "$(find "$src" scripts/build-cirros.sh "$busybox" "$dropbear" -newer "$out" -print -quit)" ]; then
  exit 0
fi

work=$(mktemp -d /tmp/kumo-cirros-build.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/share/udhcpc,etc/dropbear,proc,sys,dev,run,tmp,mnt,root,home/cirros,var/log,lib64,lib/x86_64-linux-gnu}
chmod 1777 "$root/tmp"
mkdir -p "$root/var"
ln -s ../run "$root/var/run"
chmod 700 "$root/root"

cp "$busybox" "$root/bin/busybox"
# setuid root as on cirros: busybox keeps root only for the applets that need it (ping, su) and
# drops it for every other applet, so the cirros user can ping as Tempest's scenarios do.
chmod 4755 "$root/bin/busybox"
# One symlink per applet, as cirros has them (busybox --list-full gives bin/ls, sbin/ip, ...).
"$busybox" --list-full | while read -r applet; do
  [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done

# dropbear is dynamically linked on Debian: copy it with the libraries ldd names.
cp "$dropbear" "$root/usr/sbin/dropbear"
cp "$dropbearkey" "$root/usr/bin/dropbearkey"
for lib in $(ldd "$dropbear" "$dropbearkey" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\/lib/ {print $1}' | sort -u); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done

install -m 0755 "$src/init" "$root/sbin/init"
install -m 0755 "$src/kumo-metadata" "$root/sbin/kumo-metadata"
install -m 0755 "$src/curl" "$root/usr/bin/curl"
# sudo as cirros has it (the cirros user may run anything as root): setuid root, static.
if command -v gcc >/dev/null 2>&1 && gcc -static -Os -s -o "$work/sudo" "$src/sudo.c" 2>"$work/sudo.err"; then
  install -m 4755 "$work/sudo" "$root/usr/bin/sudo"
else
  echo "kumo: cannot build the image's sudo ($(tail -1 "$work/sudo.err" 2>/dev/null || echo 'no gcc')); cirros has no sudo" >&2
fi
install -m 0755 "$src/udhcpc.script" "$root/usr/share/udhcpc/default.script"
install -m 0644 "$src/passwd" "$root/etc/passwd"
install -m 0644 "$src/group" "$root/etc/group"
install -m 0600 "$src/shadow" "$root/etc/shadow"
install -m 0644 "$src/os-release" "$root/etc/os-release"
printf 'cirros\n' > "$root/etc/hostname"
printf '/bin/sh\n/bin/ash\n' > "$root/etc/shells"
printf '127.0.0.1 localhost\n' > "$root/etc/hosts"
: > "$root/etc/resolv.conf"
mkdir -p "$root/home/cirros/.ssh"
chmod 700 "$root/home/cirros/.ssh"
chown -R 1000:1000 "$root/home/cirros"

mkdir -p "$(dirname "$out")"
tar --sort=name --mtime=@1704067200 --numeric-owner --format=gnu -C "$root" -cf "$out.tmp" .
mv "$out.tmp" "$out"
echo "kumo: built $out ($(du -h "$out" | cut -f1))" >&2
