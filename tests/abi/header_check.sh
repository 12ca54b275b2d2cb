#!/bin/sh
# The public header must compile cleanly as strict C99 and as C++11, on its
# own, with every warning an error.
set -eu
hdr_dir="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/c.c" <<'SRC'
#include "funnelcore.h"
int main(void)
{
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    fnl_touch t = FNL_TOUCH_INIT;
    fnl_contact_update u = FNL_CONTACT_UPDATE_INIT;
    fnl_deal_update d = FNL_DEAL_UPDATE_INIT;
    fnl_cost c = FNL_COST_INIT;
    fnl_stats s = FNL_STATS_INIT;
    fnl_storage_file_options o = FNL_STORAGE_FILE_OPTIONS_INIT;
    (void)cfg; (void)t; (void)u; (void)d; (void)c; (void)s; (void)o;
    return 0;
}
SRC
cp "$tmp/c.c" "$tmp/cxx.cpp"
cc=${CC:-cc}
cxx=${CXX:-c++}
"$cc" -std=c99 -Wall -Wextra -Wpedantic -Werror -I"$hdr_dir" -c "$tmp/c.c" -o "$tmp/c.o"
if command -v "$cxx" >/dev/null 2>&1; then
    "$cxx" -std=c++11 -Wall -Wextra -Wpedantic -Werror \
        -Wno-missing-field-initializers -I"$hdr_dir" -c "$tmp/cxx.cpp" \
        -o "$tmp/cxx.o"
    echo "ok - header compiles as C99 and C++11"
else
    echo "ok - header compiles as C99 (no C++ compiler: C++11 check skipped)"
fi
