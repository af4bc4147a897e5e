#!/usr/bin/env bash
# Builds the Docker image `mqtt-course/mosquitto:local` from this machine's Mosquitto, with no registry and no
# base image: the mosquitto binary and exactly the shared libraries it links (ldd), imported with `docker import`.
# For offline CI (where eclipse-mosquitto cannot be pulled); the grader then runs it with
#   MQTT_COURSE_MOSQUITTO_IMAGE=mqtt-course/mosquitto:local
# Usage: docker/build-local-mosquitto.sh [image-tag]
set -euo pipefail

tag="${1:-mqtt-course/mosquitto:local}"
binary="${MOSQUITTO_BIN:-$(command -v mosquitto || echo /usr/sbin/mosquitto)}"
if [[ ! -x "$binary" ]]; then
  echo "build-local-mosquitto: no mosquitto binary at $binary; install it first (apt-get install -y mosquitto)" >&2
  exit 2
fi
if ! docker info >/dev/null 2>&1; then
  echo "build-local-mosquitto: no Docker engine answers; start one (dockerd) first" >&2
  exit 2
fi

rootfs="$(mktemp -d)"
trap 'rm -rf "$rootfs"' EXIT

copy() { # copy a file into the rootfs at the same path, following symlinks
  mkdir -p "$rootfs$(dirname "$1")"
  cp -L "$1" "$rootfs$1"
}

copy "$binary"
# Every library the binary links, and the dynamic loader itself (the "=>"-less line of ldd).
ldd "$binary" | awk '/=> \// { print $3 } /^[[:space:]]*\/.*ld-linux/ { print $1 }' | sort -u | while read -r lib; do copy "$lib"; done
mkdir -p "$rootfs/usr/sbin" "$rootfs/mosquitto/config" "$rootfs/mosquitto/data" "$rootfs/mosquitto/log" "$rootfs/tmp" "$rootfs/etc"
[[ "$binary" == /usr/sbin/mosquitto ]] || cp -L "$binary" "$rootfs/usr/sbin/mosquitto"
chmod 1777 "$rootfs/tmp"
printf 'root:x:0:0:root:/root:/bin/false\nmosquitto:x:1883:1883:mosquitto:/mosquitto:/bin/false\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\nmosquitto:x:1883:\nnogroup:x:65534:\n' > "$rootfs/etc/group"
# The eclipse-mosquitto image's default config location, so the same commands work on both images.
printf 'listener 1883\nallow_anonymous true\n' > "$rootfs/mosquitto/config/mosquitto.conf"

tar -C "$rootfs" -c . | docker import \
  --change 'CMD ["/usr/sbin/mosquitto", "-c", "/mosquitto/config/mosquitto.conf"]' \
  --change 'EXPOSE 1883' \
  --message "mosquitto $("$binary" -h 2>/dev/null | head -1 | awk '{print $3}') from $(basename "$binary") on $(hostname)" \
  - "$tag" >/dev/null
echo "built $tag ($(docker image inspect "$tag" --format '{{.Size}}' | awk '{printf "%.1f MB", $1/1e6}'))"
