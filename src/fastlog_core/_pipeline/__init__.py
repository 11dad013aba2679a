"""The pipeline package: see ``pipeline.py`` for how its parts fit together."""

from .accounting import PipelineStats, SinkStats
from .appender import AppenderType
from .per_sink import SinkOptions
from .pipeline import Pipeline
from .wake import defer_if_inside

__all__ = [
    "AppenderType",
    "Pipeline",
    "PipelineStats",
    "SinkOptions",
    "SinkStats",
    "defer_if_inside",
]
