# The metadata is in pyproject.toml.  This file only marks the wheel as
# platform specific, since `make wheel` bundles the native libfunnelcore.
from setuptools import setup

try:
    from wheel.bdist_wheel import bdist_wheel

    class PlatformWheel(bdist_wheel):
        def finalize_options(self):
            super().finalize_options()
            self.root_is_pure = False

        def get_tag(self):
            # ctypes, not the CPython ABI: any Python 3 on this platform
            _, _, plat = super().get_tag()
            return "py3", "none", plat

    setup(cmdclass={"bdist_wheel": PlatformWheel})
except ImportError:  # no wheel package: sdist / plain install still work
    setup()
