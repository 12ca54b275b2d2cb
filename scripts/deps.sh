#!/bin/sh
# Install what building and testing funnelcore needs on Debian, only when
# something is missing.  Used by `make`; safe to run by hand.
set -eu
need=""
have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

have_cmd meson || need="$need meson"
have_cmd ninja || need="$need ninja-build"
have_cmd pkg-config || need="$need pkg-config"
have_cmd cc || need="$need gcc"
have_cmd clang || need="$need clang"
have_pkg zlib1g-dev || need="$need zlib1g-dev"
have_pkg libsqlite3-dev || need="$need libsqlite3-dev"
have_pkg libclang-rt-14-dev || need="$need libclang-rt-14-dev"
for p in ${FNL_EXTRA_PACKAGES:-}; do have_pkg "$p" || need="$need $p"; done

[ -z "$need" ] && exit 0
if ! have_cmd apt-get; then
    echo "deps: missing:$need (no apt-get here: install them by hand)" >&2
    exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "deps: installing:$need" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $need >/dev/null
