"""``configure()``: the fastest correct structlog setup ending in fastlog, in one call."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Unpack

import structlog

from fastlog_core import ConfigError, Options, SinkSpec
from fastlog_core.adapter import (
    OPTION_NAMES,
    LoggerLevels,
    check_options,
    parse_level,
    parse_levels,
)

from ._native import RENDERER, make_wrapper, make_wrapper_by_name
from ._renderer import FastlogLoggerFactory

_OWNER = "fastlog_structlog.configure()"
#: Its own keywords, for the unknown-option message and its suggestion.
_CONFIGURE_OPTIONS = frozenset(
    {"sink", "level", "levels", "processors", "preset", "cache_logger_on_first_use"}
)


def configure(
    sink: SinkSpec = None,
    level: int | str = "info",
    *,
    levels: Mapping[str, int | str] | None = None,
    processors: Iterable[Any] = (),
    preset: str | None = None,
    cache_logger_on_first_use: bool = True,
    **options: Unpack[Options],
) -> None:
    """Configure structlog to log through fastlog.

    The chain is: structlog's ``merge_contextvars`` (so ``bind_contextvars`` and
    ``bound_contextvars`` work), your *processors*, then fastlog's renderer, which takes the
    level, logger name, timestamp and message from the call and turns ``exc_info`` into the
    structured exception (no ``add_log_level``, ``TimeStamper`` or ``format_exc_info``
    needed); a field named like one of those keys is kept as ``fields.<name>``. The wrapper
    filters like structlog's ``make_filtering_bound_logger(level)`` (calls below *level* cost
    a no-op method call) and, while the chain is exactly this default one, builds the record
    in one method instead of processor by processor: same output, less cost.

    Args:
        sink: Where to write (see :class:`FastlogLoggerFactory`).
        level: The lowest level written, as a name or number.
        levels: Levels of particular loggers, by the name given to
            ``structlog.get_logger(name)`` (what fastlog writes as ``logger``), e.g.
            ``{"sqlalchemy.engine": "warning", "app.payments": "debug"}``: a key covers that
            logger and its children (``"app"`` covers ``app.db``, not ``apple``), the most
            specific key wins, *level* applies to the others; the rule of
            ``fastlog_core.configure(levels=...)``. Resolved when structlog makes the bound
            logger, so a filtered call costs what any call below *level* costs.
        processors: Your processors, run before rendering.
        preset: A fastlog preset for the destination.
        cache_logger_on_first_use: As in ``structlog.configure``.
        **options: fastlog pipeline options.

    Raises:
        fastlog_core.ConfigError: for a bad option or level (``levels`` included), naming
            it; for a *sink* already in use with other settings, naming each option and both
            values (unlike ``fastlog_core.configure()``, this does not replace a
            destination's settings: ``docs/sinks.md``).
    """
    check_options(options, OPTION_NAMES | _CONFIGURE_OPTIONS, owner=_OWNER)  # its own names
    try:
        threshold = parse_level(level)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    rules = parse_levels(levels)
    extra = list(processors)
    # A new list each time: structlog.testing.capture_logs() and users may change it in place.
    chain = [structlog.contextvars.merge_contextvars, *extra, RENDERER]
    factory = FastlogLoggerFactory._made_by(_OWNER, sink, preset, options)
    structlog.configure(
        processors=chain,
        wrapper_class=(
            make_wrapper_by_name(LoggerLevels(threshold, rules))
            if rules
            else make_wrapper(threshold)
        ),
        logger_factory=factory,
        cache_logger_on_first_use=cache_logger_on_first_use,
    )
