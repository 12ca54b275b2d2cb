#!/bin/sh
# ABI check of libfunnelcore against the committed baseline (libabigail).
#
#   abi_check.sh check LIB SRCROOT      compare LIB with tests/abi/funnelcore.abi
#   abi_check.sh dump  LIB SRCROOT OUT  write a new baseline to OUT
#
# LIB is the real file (libfunnelcore.so.X.Y.Z), built with debug info.
# `check` passes when LIB only adds to the baseline: new functions, new
# enumerators, and new members at the end of structs that begin with
# `uint32_t size` / `uint32_t version`.  A removed or changed function, a
# changed symbol version, or any other struct layout change fails, with
# abidiff's report and the policy in docs/abi.md.  Exit 77 (skip) only when
# abigail-tools is missing and cannot be installed.
set -u
mode=${1:-}
lib=${2:-}
src=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
baseline="$here/funnelcore.abi"
suppr="$here/funnelcore.suppr"

if [ -z "$mode" ] || [ -z "$lib" ] || [ -z "$src" ]; then
    echo "usage: $0 check|dump LIB SRCROOT [OUT]" >&2
    exit 2
fi

have_abigail() { command -v abidw >/dev/null 2>&1 && command -v abidiff >/dev/null 2>&1; }

if ! have_abigail && command -v apt-get >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
    echo "# abigail-tools missing: installing it" >&2
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y -qq --no-install-recommends abigail-tools \
        >/dev/null 2>&1 ||
    { $sudo apt-get update -qq >/dev/null 2>&1 &&
      $sudo apt-get install -y -qq --no-install-recommends abigail-tools \
        >/dev/null 2>&1; } || true
fi
if ! have_abigail; then
    if [ "$mode" = check ]; then
        echo "SKIP: abidw/abidiff (Debian package abigail-tools) are not" \
             "installed and could not be installed; the ABI was NOT checked"
        exit 77
    fi
    echo "abi_check: abidw/abidiff not found (apt-get install abigail-tools)" >&2
    exit 1
fi

lib=$(readlink -f "$lib")
[ -f "$lib" ] || { echo "abi_check: no library at $lib" >&2; exit 1; }

dump() { # dump LIB OUT
    # Every type reachable from an exported function, the library's
    # internal structs included: funnelcore.suppr tells abidiff that only
    # the types of include/*.h (and of the system headers) are public.
    abidw --no-corpus-path --no-comp-dir-path --type-id-style hash \
        --out-file "$2" "$1"
}

case "$mode" in
dump)
    out=${4:?usage: $0 dump LIB SRCROOT OUT}
    dump "$lib" "$out" || exit 1
    n=$(grep -c '<elf-symbol ' "$out")
    echo "abi_check: wrote $out ($n symbols)"
    exit 0
    ;;
check) ;;
*) echo "usage: $0 check|dump LIB SRCROOT [OUT]" >&2; exit 2 ;;
esac

[ -f "$baseline" ] || { echo "not ok - no baseline $baseline (make abi-update)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail=0
abidiff --no-added-syms --suppressions "$suppr" \
    "$baseline" "$lib" >"$tmp/diff" 2>&1
rc=$?
# abidiff's exit status is a bit set: 1 error, 2 usage error,
# 4 ABIDIFF_ABI_CHANGE, 8 ABIDIFF_ABI_INCOMPATIBLE_CHANGE (a removed
# symbol).  Additions are filtered out above (--no-added-syms), so any
# change left is one an old caller could notice.
if [ $((rc & 3)) -ne 0 ]; then
    echo "not ok - abidiff failed (status $rc):"
    cat "$tmp/diff"
    exit 1
fi
if [ $((rc & 8)) -ne 0 ]; then
    echo "not ok - INCOMPATIBLE ABI change against tests/abi/funnelcore.abi" \
         "(a symbol was removed or its version changed):"
    sed 's/^/    /' "$tmp/diff"
    fail=1
elif [ $((rc & 4)) -ne 0 ]; then
    echo "not ok - ABI change against tests/abi/funnelcore.abi (a function" \
         "or a public type changed):"
    sed 's/^/    /' "$tmp/diff"
    fail=1
fi

# Member-by-member layout check, stricter than the suppression above.
dump "$lib" "$tmp/current.abi" || { echo "not ok - abidw failed"; exit 1; }
if ! python3 "$here/abi_layout.py" "$baseline" "$tmp/current.abi" >"$tmp/layout"; then
    echo "not ok - public struct layout changed against tests/abi/funnelcore.abi:"
    sed 's/^/    /' "$tmp/layout"
    fail=1
fi

if [ "$fail" -ne 0 ]; then
    cat <<'EOF'

The library no longer offers what the baseline promises, so a program
built against the last release may break.  If the change is a mistake,
restore the old function or struct.  If it is intended (only in a release
that bumps the minor version while the major version is 0, or the major
version after 1.0): run `make abi-update`, add an "ABI" note to
CHANGELOG.md, and commit tests/abi/funnelcore.abi with the change.
See docs/abi.md.
EOF
    exit 1
fi

# Additions are fine; say what they are so that a reviewer sees them.
abidiff --added-fns --added-vars --suppressions "$suppr" \
    "$baseline" "$lib" 2>/dev/null |
    sed -n "s/^  \[A\] 'function \(.*\)'.*/# added since the baseline: \1/p"
echo "ok - ABI compatible with tests/abi/funnelcore.abi ($(sed -n 's/^ok - //p' "$tmp/layout"))"
exit 0
