/**
 * The one shell script the Linux compute driver runs on the host, written to
 * `$KUMO_HOME/instances/boot.sh` with fixed contents: values arrive as positional arguments,
 * never as script text. `inner` runs as the first process of the instance's new mount, UTS and
 * PID namespaces (unshare, inside the instance's network namespace): it mounts the overlay root,
 * a private /dev and the read-only config drive there (so no mount ever appears in the root
 * mount namespace), waits at its gate (a FIFO, when given) until Kumo has the instance's NICs
 * wired, pivots into it and execs the image's /sbin/init as PID 1. `snapshot` mounts
 * a stopped instance's overlay in a throwaway mount namespace and writes it as a tar to stdout.
 */
export const BOOT_SCRIPT = `#!/bin/sh
set -eu
mode=$1 dir=$2 lower=$3
mount -t overlay overlay -o "lowerdir=$lower,upperdir=$dir/upper,workdir=$dir/work" "$dir/root"
case "$mode" in
  snapshot)
    exec tar --numeric-owner -C "$dir/root" -cf - --exclude=./run/kumo .
    ;;
  inner)
    marker=$4 gate=\${5:-}
    r=$dir/root
    mount -t tmpfs -o mode=755,size=1m,nosuid tmpfs "$r/dev"
    # The host's device nodes recreated (cp -a makes special files, reads nothing): one process for six.
    cp -a /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty "$r/dev/"
    mkdir -p "$r/dev/pts" "$r/dev/shm"
    mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$r/dev/pts"
    ln -s pts/ptmx "$r/dev/ptmx"
    mkdir -p "$r/run/kumo" "$r/mnt"
    mount --bind "$dir/meta" "$r/run/kumo"
    mount -o remount,bind,ro "$r/run/kumo"
    # Held here, with the mounts made and nothing of the guest run yet, until Kumo opens the
    # gate: the NICs are then in their bridges and dnsmasq knows them.
    if [ -n "$gate" ]; then
      [ -p "$gate" ] || mkfifo -m 600 "$gate"
      read _ < "$gate" || true
    fi
    cd "$r"
    pivot_root . mnt
    cd /
    exec /sbin/init "$marker"
    ;;
esac
echo "boot.sh: unknown mode $mode" >&2
exit 2
`;
