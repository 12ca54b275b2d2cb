#!/bin/sh
# The symbols libfunnelcore exports are exactly those listed, with their
# version nodes, in tests/abi/symbols.txt (libinput / libdrm style): a name
# exported but not listed is a leak (or a new function not yet listed); a
# name listed but not exported is a removal, which breaks old programs.
#
#   symbols_check.sh LIB [LIST]     check (LIST: tests/abi/symbols.txt)
#   symbols_check.sh --print LIB    print the list for LIB (make abi-symbols)
set -eu
here=$(cd "$(dirname "$0")" && pwd)

exported() {
    # Defined dynamic symbols, without the version-node markers (type A).
    [ -f "$1" ] || { echo "symbols_check: no library at $1" >&2; exit 1; }
    nm -D --defined-only "$1" >"$tmp/nm" || { echo "symbols_check: nm failed" >&2; exit 1; }
    awk '$2 != "A" && NF >= 3 {print $3}' "$tmp/nm" | LC_ALL=C sort -u
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ "${1:-}" = --print ]; then
    exported "$2" || exit 1
    exit 0
fi
lib=${1:?usage: $0 LIB [LIST]}
list=${2:-$here/symbols.txt}
exported "$lib" >"$tmp/actual" || exit 1
grep -v -e '^#' -e '^[[:space:]]*$' "$list" | LC_ALL=C sort -u >"$tmp/listed"
LC_ALL=C comm -13 "$tmp/listed" "$tmp/actual" >"$tmp/extra"
LC_ALL=C comm -23 "$tmp/listed" "$tmp/actual" >"$tmp/missing"

status=0
if [ -s "$tmp/extra" ]; then
    echo "not ok - exported by the library but not listed in tests/abi/symbols.txt:"
    sed 's/^/    /' "$tmp/extra"
    cat <<'MSG'
  A new public function: add the line(s) above to tests/abi/symbols.txt
  in the same change (or run `make abi-symbols` and review the diff).
  Not meant to be public: make it static, or drop FNL_API, so it stays
  hidden.  A symbol without the fnl_ prefix must never be exported.
MSG
    status=1
fi
if [ -s "$tmp/missing" ]; then
    echo "not ok - listed in tests/abi/symbols.txt but not exported by the library:"
    sed 's/^/    /' "$tmp/missing"
    cat <<'MSG'
  Removing or renaming an exported function, or moving it to another
  version node, breaks every program linked against it.  Restore it; if
  the break is intended, see docs/abi.md (it needs a minor version bump
  while the major version is 0, and `make abi-update`).
MSG
    status=1
fi
[ "$status" -eq 0 ] && echo "ok - $(wc -l <"$tmp/actual") exported symbols, exactly as listed in tests/abi/symbols.txt"
exit "$status"
