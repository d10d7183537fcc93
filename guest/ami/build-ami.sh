#!/bin/bash
# Builds the provided AMI's image, twinbox-dropbear:latest (docs/cloud.md
# "AMIs"), as a `docker save` archive that `twinbox image load` reads
# (Docker image spec v1.2: manifest.json, the config as <sha256>.json, one
# uncompressed layer tar). No network, no root, no running twinbox:
#
#   - the busybox root of guest/rootfs/build-rootfs.sh
#   - Debian's dropbear-bin (/usr/sbin/dropbear, /usr/bin/dropbearkey) with
#     the shared libraries ldd finds for them, each at the same path as here
#   - the login user ec2-user (1000:1000, /home/ec2-user, /bin/sh); its
#     password is '*' in /etc/shadow: no password matches it, yet the
#     account is not locked ('!'), which dropbear would refuse for key logins
#   - /sbin/twinbox-instance-init (the CMD) and /usr/bin/twinbox-imds
#
# Every file has owner root (ec2-user's home: 1000) and time 0, sorted
# names: the same inputs give the same archive, hence the same image id.
#
# usage: build-ami.sh --output FILE.tar --busybox BUSYBOX --imds-helper FILE
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
output="" busybox=/bin/busybox imds_helper=""
while [ $# -gt 0 ]; do
    case "$1" in
        --output) output="$2"; shift 2 ;;
        --busybox) busybox="$2"; shift 2 ;;
        --imds-helper) imds_helper="$2"; shift 2 ;;
        *) echo "build-ami.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ -n "$output" ] && [ -n "$imds_helper" ] ||
    { echo "build-ami.sh: --output FILE and --imds-helper FILE are required" >&2; exit 2; }
for program in /usr/sbin/dropbear /usr/bin/dropbearkey; do
    [ -x "$program" ] ||
        { echo "build-ami.sh: $program not found: apt-get install dropbear-bin" >&2; exit 1; }
done

staging="$(mktemp -d "$(dirname "$output")/ami-build.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
root="$staging/root"
bash "$here/../rootfs/build-rootfs.sh" --output "$root" --busybox "$busybox"

# dropbear and its libraries, at the paths the dynamic loader looks in.
copy_file() {  # copy_file HOST_PATH: to the same path in the image, links resolved
    mkdir -p "$root$(dirname "$1")"
    cp -L "$1" "$root$1"
}
for program in /usr/sbin/dropbear /usr/bin/dropbearkey; do
    copy_file "$program"
    for library in $(ldd "$program" | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p'); do
        [ -e "$root$library" ] || copy_file "$library"
    done
done
printf '/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n' >"$root/etc/ld.so.conf"
printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"

# The login user, as on Amazon Linux.
echo 'ec2-user:x:1000:1000:EC2 Default User:/home/ec2-user:/bin/sh' >>"$root/etc/passwd"
echo 'ec2-user:x:1000:' >>"$root/etc/group"
cut -d: -f1 "$root/etc/passwd" | sed 's/$/:*:19000:0:99999:7:::/' >"$root/etc/shadow"
chmod 600 "$root/etc/shadow"
printf '/bin/sh\n/bin/ash\n' >"$root/etc/shells"  # dropbear refuses a shell not listed here
mkdir -p "$root/home/ec2-user/.ssh" "$root/etc/dropbear" "$root/var/lib/cloud" "$root/var/log"
chmod 700 "$root/home/ec2-user" "$root/home/ec2-user/.ssh" "$root/etc/dropbear"
ln -s /run "$root/var/run"
install -m 0755 "$here/twinbox-instance-init" "$root/sbin/twinbox-instance-init"
install -m 0755 "$imds_helper" "$root/usr/bin/twinbox-imds"
printf 'twinbox-dropbear: busybox, dropbear and the twinbox instance init\n' >"$root/etc/issue"

# The layer: everything but the home as root, then the home as ec2-user.
layer="$staging/layer.tar"
tar_flags=(--format=gnu --sort=name --mtime=@0 --numeric-owner -C "$root")
tar "${tar_flags[@]}" --owner=0 --group=0 --exclude=./home/ec2-user -cf "$layer" .
tar "${tar_flags[@]}" --owner=1000 --group=1000 -rf "$layer" ./home/ec2-user
diff_id=$(sha256sum "$layer" | cut -d' ' -f1)

archive="$staging/archive"
mkdir -p "$archive/$diff_id"
mv "$layer" "$archive/$diff_id/layer.tar"
cat >"$archive/config.json" <<CONFIG
{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["/sbin/twinbox-instance-init"],"ExposedPorts":{"22/tcp":{}},"Labels":{"org.opencontainers.image.title":"twinbox-dropbear","org.opencontainers.image.description":"busybox, dropbear and the twinbox instance init"}},"rootfs":{"type":"layers","diff_ids":["sha256:$diff_id"]},"history":[{"created":"1970-01-01T00:00:00Z","created_by":"guest/ami/build-ami.sh"}]}
CONFIG
config_id=$(sha256sum "$archive/config.json" | cut -d' ' -f1)
mv "$archive/config.json" "$archive/$config_id.json"
printf '[{"Config":"%s.json","RepoTags":["twinbox-dropbear:latest"],"Layers":["%s/layer.tar"]}]\n' \
    "$config_id" "$diff_id" >"$archive/manifest.json"
tar --format=gnu --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$archive" \
    -cf "$staging/image.tar" .
mv "$staging/image.tar" "$output"
