"""Fixtures of the simulator's tests: a registered test format and one small simulation."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from apislo.simulate import SimulationResult, simulate
from apislo.sources.logs import FORMATS

#: A fixed end (a Wednesday noon, UTC; the period has no weekend) so every run is reproducible.
END = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
#: The small configuration most tests share: 2 days, 4 APIs, half the default volume.
SMALL = {"days": 2, "apis": 4, "seed": 7, "rate": 0.5, "end": END}


@contextmanager
def tsv_registered() -> Iterator[None]:
    """Register the test formats ``test-tsv`` and ``test-nowrite`` for the duration of a block."""
    FORMATS["test-tsv"] = "tests.simulate._tsv:TsvFormat"
    FORMATS["test-nowrite"] = "tests.simulate._tsv:UnwritableFormat"
    try:
        yield
    finally:
        FORMATS.pop("test-tsv", None)
        FORMATS.pop("test-nowrite", None)


@pytest.fixture(autouse=True)
def _tsv_format() -> Iterator[None]:
    """Every test of this folder (and only these) can use ``formats=("test-tsv",)``."""
    with tsv_registered():
        yield


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory) -> SimulationResult:
    """One small simulation with OpenMetrics output, shared by the read-only tests."""
    out: Path = tmp_path_factory.mktemp("small")
    with tsv_registered():
        return simulate(out, formats=("test-tsv",), openmetrics=True, **SMALL)
