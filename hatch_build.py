"""Build hook: compile ``fastlog_core._speedups`` (one C file) when a C compiler is available.

The extension is optional: fastlog's pure-Python twin (``fastlog_core._fields``) gives the same
output, so a machine without a compiler still installs (with a warning) and works, only slower.
Set ``FASTLOG_NO_SPEEDUPS=1`` to skip the build. For an editable install the module is built
next to its source, for a wheel into the build directory; either way one compiler call, no
setuptools.
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

SOURCE = os.path.join("src", "fastlog_core", "_speedups.c")


def _compile(root: str, out_dir: str) -> str:
    """Build the module into *out_dir*; returns its path. Raises on any failure."""
    if sysconfig.get_config_var("Py_GIL_DISABLED"):
        raise RuntimeError("free-threaded build: the pure-Python path is used")
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    target = os.path.join(out_dir, "_speedups" + suffix)
    cc = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")
    command = [
        *cc,
        "-O2",
        "-fPIC",
        "-shared",
        "-I" + sysconfig.get_paths()["include"],
        os.path.join(root, SOURCE),
        "-o",
        target,
    ]
    if sys.platform == "darwin":
        command += ["-undefined", "dynamic_lookup"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{shlex.join(command)} failed:\n{done.stderr.strip()}")
    return target


class SpeedupsHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or os.environ.get("FASTLOG_NO_SPEEDUPS"):
            return
        editable = version == "editable"
        out_dir = (
            os.path.join(self.root, "src", "fastlog_core")
            if editable
            else tempfile.mkdtemp(prefix="fastlog-build-")
        )
        try:
            target = _compile(self.root, out_dir)
        except Exception as exc:
            # Installing without the extension beats failing to install: say so, loudly.
            print(
                f"fastlog: C speedups not built, using pure Python ({exc})",
                file=sys.stderr,
            )
            return
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        if not editable:
            name = os.path.basename(target)
            build_data["force_include"][target] = f"fastlog_core/{name}"
