"""Fixtures of the platform integrations' tests (tests/platforms/): servers that speak the cloud
services' APIs, started on loopback ports by the fixtures."""

from tests.platforms.datadog_intake import datadog_intake  # noqa: F401 (fixture)
from tests.platforms.moto_logs import moto_logs  # noqa: F401 (fixture)
