"""Fixtures of the network sinks' tests: a scripted HTTP receiver, and real servers (rsyslog,
ClickHouse) started on loopback ports by the fixtures, installed with apt-get when missing."""

from tests.network.clickhouse import clickhouse  # noqa: F401 (fixture)
from tests.network.otlp import otlp_receiver  # noqa: F401 (fixture)
from tests.network.receiver import receiver  # noqa: F401 (fixture)
from tests.network.rsyslog import rsyslog  # noqa: F401 (fixture)
