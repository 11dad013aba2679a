"""Stdlib logging is process-global: give each test a clean logging tree."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

import fastlog_stdlib


@pytest.fixture(autouse=True)
def _clean_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (root.level, list(root.handlers), logging.root.manager.loggerDict.copy())
    yield
    fastlog_stdlib.restore()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        if handler not in saved[1]:
            handler.close()
    for handler in saved[1]:
        root.addHandler(handler)
    root.setLevel(saved[0])
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and name not in saved[2]:
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
                handler.close()
            logger.setLevel(logging.NOTSET)
            logger.propagate = True
            logger.disabled = False
