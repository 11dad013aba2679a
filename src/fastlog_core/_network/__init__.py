"""Network sinks: the shared delivery layer (``delivery``), its connections (``transport``),
the on-disk queue (``spill``), and one module per protocol.

Imported on first use (``fastlog_core.SyslogSink`` and friends, or a ``syslog+tcp://`` sink
URL), never by ``import fastlog_core``: ``ssl`` and ``http.client`` cost import time that
programs logging to a file should not pay.
"""

from .delivery import DeliveryStats, NetworkSink, Rejected, Retry, TooLarge

__all__ = ["DeliveryStats", "NetworkSink", "Rejected", "Retry", "TooLarge"]
