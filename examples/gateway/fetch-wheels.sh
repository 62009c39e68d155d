#!/usr/bin/env bash
# Download the python-gunicorn image's wheels into python-gunicorn/wheels/, on the host, before
# the image is built: the build itself downloads nothing (no registry need be reachable from the
# engine). Pinned by version and hash in python-gunicorn/requirements.txt; pure-Python wheels,
# so the host's platform does not matter. Does nothing when every pinned wheel is already there,
# so it can run before each build without network access.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
requirements="$here/python-gunicorn/requirements.txt"
dest="$here/python-gunicorn/wheels"
mkdir -p "$dest"

have_all=1
for hash in $(grep -o 'sha256:[0-9a-f]\{64\}' "$requirements" | cut -d: -f2); do
  found=0
  for wheel in "$dest"/*.whl; do
    [ -e "$wheel" ] || continue
    if [ "$(sha256sum "$wheel" | cut -d' ' -f1)" = "$hash" ]; then found=1; break; fi
  done
  [ "$found" -eq 1 ] || { have_all=0; break; }
done
if [ "$have_all" -eq 1 ]; then
  echo "fetch-wheels: every pinned wheel is in ${dest#"$PWD"/}"
  exit 0
fi

python3 -m pip download --quiet --disable-pip-version-check --only-binary=:all: --no-deps \
  --require-hashes -r "$requirements" -d "$dest"
echo "fetch-wheels: downloaded into ${dest#"$PWD"/}: $(cd "$dest" && ls ./*.whl | xargs -n1 basename | tr '\n' ' ')"
