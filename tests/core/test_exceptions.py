"""``fastlog_core.exceptions``: ConfigError, as users see it in tracebacks."""

from __future__ import annotations

import pickle
import subprocess
import sys

import fastlog_core
from fastlog_core import ConfigError
from fastlog_core.exceptions import ConfigError as FromExceptions
from tests.helpers import child_env


class TestConfigError:
    def test_named_by_its_public_module(self) -> None:
        """It is fastlog_core.ConfigError (the name users import), not a private module's."""
        assert ConfigError is FromExceptions
        assert f"{ConfigError.__module__}.{ConfigError.__qualname__}" == "fastlog_core.ConfigError"
        assert pickle.loads(pickle.dumps(ConfigError("x"))).args == ("x",)
        assert issubclass(ConfigError, ValueError)

    def test_traceback_shows_the_public_name(self) -> None:
        """An uncaught one ends the traceback with 'fastlog_core.ConfigError: ...'."""
        code = "import fastlog_core; fastlog_core.configure(capcity=1)"
        proc = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env=child_env(),
            check=False,
        )
        assert proc.returncode == 1
        last = proc.stderr.strip().splitlines()[-1]
        assert last.startswith("fastlog_core.ConfigError: configure(): unknown option 'capcity'")
        assert fastlog_core.ConfigError is ConfigError
