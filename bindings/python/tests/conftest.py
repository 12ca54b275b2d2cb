"""Test setup: import funnelcore from this source tree, and find the
library in the build tree when FUNNELCORE_LIB is not set."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PKG_ROOT = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(PKG_ROOT))
sys.path.insert(0, PKG_ROOT)

if not os.environ.get("FUNNELCORE_LIB"):
    for build in ("build", "build-bind"):
        cand = os.path.join(REPO, build, "src", "libfunnelcore.so")
        if os.path.exists(cand):
            os.environ["FUNNELCORE_LIB"] = cand
            break

import pytest  # noqa: E402

import funnelcore  # noqa: E402,F401

T0 = 1767225600000  # 2026-01-01T00:00:00Z
DAY = 86400000


@pytest.fixture
def eng():
    with funnelcore.Engine() as e:
        yield e
