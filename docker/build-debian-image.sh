#!/usr/bin/env bash
# Builds a Debian 12 root from Debian's own packages (mmdebstrap) and imports it into Docker with `docker import`:
# no registry, no base image, the way build-local-mosquitto.sh builds its image. The platform tests run the
# instructors' recipes in these, as the platforms do:
#   bare    Debian minbase (essential packages and apt): nothing pre-installed, like Gradescope's base image
#           before setup.sh runs.
#   runner  bare + what the platforms' job images bring that the recipes rely on: git, sudo, Node.js and npm
#           (GitHub's runner after actions/setup-node, GitLab's node image), ca-certificates and curl, and a
#           user `runner` with passwordless sudo (GitHub's hosted runners run jobs as `runner`).
# An image already built under the tag is kept (built once per machine; --rebuild builds it again).
# Usage: docker/build-debian-image.sh bare|runner [tag] [--rebuild]
set -euo pipefail

kind="${1:-}"
case "$kind" in
  bare) default_tag=mqtt-course/debian-bare:bookworm ;;
  runner) default_tag=mqtt-course/debian-runner:bookworm ;;
  *) echo "build-debian-image: say which image: bare or runner (docker/build-debian-image.sh bare)" >&2; exit 2 ;;
esac
tag="$default_tag"
rebuild=false
for argument in "${@:2}"; do
  if [[ "$argument" == --rebuild ]]; then rebuild=true; else tag="$argument"; fi
done
if ! docker info >/dev/null 2>&1; then
  echo "build-debian-image: no Docker engine answers; start one (dockerd) first" >&2
  exit 2
fi
if ! $rebuild && docker image inspect "$tag" >/dev/null 2>&1; then
  echo "kept $tag (already built; --rebuild builds it again)"
  exit 0
fi
if ! command -v mmdebstrap >/dev/null 2>&1; then
  echo "build-debian-image: mmdebstrap is missing; install it first (apt-get install -y mmdebstrap)" >&2
  exit 2
fi

mirror="${MQTT_COURSE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
options=(--variant=minbase --mode=root --format=tar --skip=output/dev)
if [[ "$kind" == runner ]]; then
  options+=(--include=ca-certificates,curl,git,sudo,nodejs,npm)
  # GitHub's runner user: passwordless sudo (as on its hosted runners).
  options+=(--customize-hook='chroot "$1" useradd --create-home --uid 1001 --shell /bin/bash runner')
  options+=(--customize-hook='echo "runner ALL=(ALL) NOPASSWD:ALL" > "$1/etc/sudoers.d/runner"; chmod 0440 "$1/etc/sudoers.d/runner"')
fi
# Package lists are left in: setup steps run apt-get install without an update first (Gradescope runs
# apt-get update before setup.sh; a runner's image has its lists).
mmdebstrap "${options[@]}" bookworm - "$mirror" | docker import \
  --change 'CMD ["/bin/bash"]' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8' \
  --message "Debian bookworm ($kind) built with mmdebstrap on $(hostname)" \
  - "$tag" >/dev/null
echo "built $tag ($(docker image inspect "$tag" --format '{{.Size}}' | awk '{printf "%.1f MB", $1/1e6}'))"
