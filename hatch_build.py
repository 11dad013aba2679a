"""Build hook: compile the C speedups when a C compiler is available: ``fastlog_core._speedups``
(the logging hot path) and ``fastlog_read._speedups`` (the ``view`` command's renderer), one C
file each.

The extensions are optional: each has a pure-Python twin (``fastlog_core._fields``,
``fastlog_read._render``) that gives the same output, so a machine without a compiler still
installs (with a warning) and works, only slower.
Set ``FASTLOG_NO_SPEEDUPS=1`` to skip the build, ``FASTLOG_REQUIRE_SPEEDUPS=1`` to fail it
instead of falling back (release wheels: cibuildwheel sets it). For an editable install the module
is built next to its source, for a wheel into the build directory.

On POSIX it is one call of the C compiler Python was built with (``CC`` overrides it; on macOS
``ARCHFLAGS`` picks the architectures, as hatchling's wheel tag does). On Windows it is MSVC,
found and driven by setuptools' ``build_ext`` (vswhere, the import library, the ``PyInit_``
export): pyproject.toml lists setuptools as a build requirement there only.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import sysconfig
import tempfile
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

#: The packages with a ``_speedups.c`` beside their Python code.
PACKAGES = ("fastlog_core", "fastlog_read")


def _source(package: str) -> str:
    return os.path.join("src", package, "_speedups.c")


def _compile(root: str, package: str, out_dir: str) -> str:
    """Build *package*'s module into *out_dir*; returns its path. Raises on any failure."""
    if sysconfig.get_config_var("Py_GIL_DISABLED"):
        raise RuntimeError("free-threaded build: the pure-Python path is used")
    if sys.platform == "win32":
        return _compile_with_setuptools(root, package, out_dir)
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    target = os.path.join(out_dir, "_speedups" + suffix)
    cc = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")
    command = [
        *cc,
        "-O2",
        "-fPIC",
        "-shared",
        "-I" + sysconfig.get_paths()["include"],
        os.path.join(root, _source(package)),
        "-o",
        target,
    ]
    if sys.platform == "darwin":
        command += shlex.split(os.environ.get("ARCHFLAGS", ""))
        command += ["-undefined", "dynamic_lookup"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{shlex.join(command)} failed:\n{done.stderr.strip()}")
    return target


def _compile_with_setuptools(root: str, package: str, out_dir: str) -> str:
    """Build the module with setuptools' compiler for this platform (MSVC on Windows)."""
    from setuptools import Distribution, Extension
    from setuptools.command.build_ext import build_ext

    extension = Extension("_speedups", [os.path.join(root, _source(package))])
    command = build_ext(Distribution({"name": "fastlog-speedups", "ext_modules": [extension]}))
    command.build_lib = out_dir
    command.build_temp = tempfile.mkdtemp(prefix="fastlog-build-temp-")
    command.ensure_finalized()
    command.run()
    target: str = command.get_ext_fullpath("_speedups")
    if not os.path.exists(target):
        raise RuntimeError(f"setuptools build_ext did not produce {target}")
    return target


class SpeedupsHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or os.environ.get("FASTLOG_NO_SPEEDUPS"):
            return
        editable = version == "editable"
        built = []
        for package in PACKAGES:
            out_dir = (
                os.path.join(self.root, "src", package)
                if editable
                else tempfile.mkdtemp(prefix="fastlog-build-")
            )
            try:
                built.append((package, _compile(self.root, package, out_dir)))
            except Exception as exc:
                if os.environ.get("FASTLOG_REQUIRE_SPEEDUPS"):
                    raise RuntimeError(f"fastlog: C speedups not built: {exc}") from exc
                # Installing without the extension beats failing to install: say so, loudly.
                print(
                    f"fastlog: C speedups of {package} not built, using pure Python ({exc})",
                    file=sys.stderr,
                )
        if not built:
            return
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        if not editable:
            for package, target in built:
                name = os.path.basename(target)
                build_data["force_include"][target] = f"{package}/{name}"
