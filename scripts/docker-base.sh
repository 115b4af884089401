#!/usr/bin/env bash
# A Python base image made offline from Debian's own packages, for machines that reach Debian's
# package mirror but no container registry (so `FROM python:...-slim` cannot be pulled).
#
#   scripts/docker-base.sh [TAG]     (default: magic-mirror-base:bookworm)
#
# debootstrap --variant=minbase puts Debian 12 with python3 (3.11), python3-venv, pip and the CA
# certificates into a folder, and `docker import` makes it an image. An image of that tag already
# present is kept: the build takes about a minute and its result does not change between runs.
# Needs root (debootstrap) and a running dockerd. Pass the tag to the project's build as
# `--build-arg BASE_IMAGE=TAG` (make docker-check does).
set -euo pipefail

tag="${1:-magic-mirror-base:bookworm}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "docker-base: $tag is already there"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "docker-base: debootstrap is not installed (apt-get install debootstrap)" >&2; exit 2; }

root="$(mktemp -d "${TMPDIR:-/tmp}/magic-mirror-base.XXXXXX")"
trap 'rm -rf "$root"' EXIT
start=$(date +%s)
debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
  bookworm "$root" "$mirror" >"$root.log" 2>&1 || { tail -20 "$root.log" >&2; exit 1; }
rm -f "$root.log"
# What a container image has no use for: apt's lists and caches, docs and man pages.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/usr/share/doc/* "$root"/usr/share/man/*
# `python` as the official images have it (the HEALTHCHECK and scripts call python3 or the venv's python).
ln -sf python3 "$root/usr/bin/python"
tar -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8' \
  --change 'CMD ["python3"]' - "$tag" >/dev/null
echo "docker-base: built $tag from Debian bookworm in $(( $(date +%s) - start )) s"
