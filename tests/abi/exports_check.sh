#!/bin/sh
# Only fnl_ symbols may leave the shared library, and every one of them
# carries a FUNNELCORE_ version node.
set -eu
lib="$1"
bad=$(nm -D --defined-only "$lib" | awk '$2 ~ /[TDBRW]/ {print $3}' |
      grep -v '^fnl_' | grep -v '^FUNNELCORE_' || true)
if [ -n "$bad" ]; then
    echo "not ok - symbols without the fnl_ prefix exported:"
    echo "$bad"
    exit 1
fi
n=$(nm -D --defined-only "$lib" | awk '$3 ~ /^fnl_/' | wc -l)
unversioned=$(objdump -T "$lib" | awk '$NF ~ /^fnl_/ && $(NF-1) !~ /FUNNELCORE_/' || true)
if [ -n "$unversioned" ]; then
    echo "not ok - unversioned symbols:"
    echo "$unversioned"
    exit 1
fi
[ "$n" -gt 50 ] || { echo "not ok - only $n fnl_ symbols exported"; exit 1; }
echo "ok - $n fnl_ symbols exported, all versioned, nothing else"
