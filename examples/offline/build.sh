#!/usr/bin/env bash
# Compile the static sample service that examples/offline.yaml packages FROM scratch.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cc -static -O2 -o "$here/testapp" "$here/../../images/testapp/testapp.c"
