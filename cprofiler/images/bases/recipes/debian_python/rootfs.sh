#!/bin/sh
# Make the root filesystem of the debian-python stand-in (Ubuntu + python3's stand-in).
#
#   rootfs.sh SUITE MIRROR TARGET APT_DIR
#
# debootstrap's minbase variant plus python3 (the full standard library: python3-minimal alone has
# no `resource`, `asyncio` or `http.server`). APT_DIR holds the apt configuration for the image
# (sources.list.d/debian.sources and apt.conf.d/*), generated from the machine's own mirror, so apt
# inside the image and in every image built FROM it reaches the same mirror. Then what a container
# image never needs is removed: downloaded packages, package lists, documentation, translations.
set -eu
SUITE=$1 MIRROR=$2 TARGET=$3 APT_DIR=$4

debootstrap --variant=minbase --include=python3 "$SUITE" "$TARGET" "$MIRROR"

rm -f "$TARGET/etc/apt/sources.list"
cp -R "$APT_DIR/." "$TARGET/etc/apt/"
# Like the official minimal images: later installs skip documentation too.
mkdir -p "$TARGET/etc/dpkg/dpkg.cfg.d"
cat > "$TARGET/etc/dpkg/dpkg.cfg.d/01-cprofiler-nodoc" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
CFG

cd "$TARGET"
rm -rf var/cache/apt/archives/*.deb var/cache/apt/*.bin var/lib/apt/lists/* \
    usr/share/man/* usr/share/info/* var/log/bootstrap.log var/log/dpkg.log var/log/apt/*
find usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete
find usr/share/doc -mindepth 1 -type d -empty -delete
find usr/share/locale -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
# Docker mounts its own over these at run time; the host's copies have no place in an image.
: > etc/resolv.conf
: > etc/hostname
