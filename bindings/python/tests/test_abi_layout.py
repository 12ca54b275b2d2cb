"""The ctypes structs match the C header: size and every field offset,
as the C compiler sees them."""
import json
import os
import shutil
import subprocess

import pytest

from conftest import REPO
from funnelcore import _lib

CC = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
HEADERS = [os.path.join(REPO, "include", "funnelcore.h")]
# draft headers whose declarations are moving into funnelcore.h
DRAFTS = ["attribution_api.h", "attribution_engine_api.h"]


@pytest.fixture(scope="module")
def c_layout(tmp_path_factory):
    if CC is None or not os.path.exists(HEADERS[0]):
        pytest.skip("needs a C compiler and the source tree")
    d = tmp_path_factory.mktemp("abi")
    lines = ["#include <stdio.h>", "#include <stddef.h>",
             '#include "funnelcore.h"']
    for draft in DRAFTS:
        if os.path.exists(os.path.join(REPO, "src", draft)):
            lines.append(f'#include "{draft}"')
    lines += ["int main(void) {", 'printf("{");']
    first = True
    for name, cls in _lib.STRUCTS.items():
        if name.startswith("fnl_engine_attribution") and not any(
                os.path.exists(os.path.join(REPO, "src", d)) for d in DRAFTS[1:]) \
                and "fnl_engine_attribution_options" not in open(HEADERS[0]).read():
            continue
        sep = "" if first else ","
        first = False
        lines.append(f'printf("{sep}\\"{name}\\": [%zu", sizeof({name}));')
        for fname, *_ in cls._fields_:
            cname = _lib.C_FIELD_NAMES.get(fname, fname)
            lines.append(f'printf(", %zu", offsetof({name}, {cname}));')
        lines.append('printf("]");')
    lines += ['printf("}\\n");', "return 0; }"]
    src = d / "layout.c"
    src.write_text("\n".join(lines))
    exe = d / "layout"
    subprocess.run([CC, "-I", os.path.join(REPO, "include"), "-I",
                    os.path.join(REPO, "src"), str(src), "-o", str(exe)],
                   check=True)
    return json.loads(subprocess.run([str(exe)], check=True,
                                     capture_output=True, text=True).stdout)


@pytest.mark.parametrize("name", sorted(_lib.STRUCTS))
def test_struct_layout_matches_c(c_layout, name):
    if name not in c_layout:
        pytest.skip(f"{name} is in no header of this tree")
    cls = _lib.STRUCTS[name]
    got = [_lib.ctypes.sizeof(cls)] + [getattr(cls, f[0]).offset
                                       for f in cls._fields_]
    assert got == c_layout[name], f"{name}: ctypes {got} != C {c_layout[name]}"
