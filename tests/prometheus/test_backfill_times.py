"""A backfill whose samples lie after now writes nothing: promtool would write such blocks
(milliseconds read as seconds put them in the year 58,000), and Prometheus's retention, which
counts back from the newest block, then deleted every older block of the data directory."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from apislo.errors import ConfigError
from apislo.sources.prometheus import Prometheus
from apislo.sources.prometheus.local import LocalPrometheus, backfill
from tests.conftest import require_binary
from tests.prometheus.conftest import T0, fixture_openmetrics

pytestmark = pytest.mark.prometheus
H = pd.Timedelta(hours=1)


def _in_milliseconds(text: str) -> str:
    """The fixture with each sample's timestamp (the last field) times 1000."""
    return re.sub(r" (\d+)$", lambda m: f" {int(m.group(1)) * 1000}", text, flags=re.M)


def _blocks(data: Path) -> list[str]:
    return sorted(p.name for p in data.iterdir())


def test_millisecond_timestamps_are_refused_and_older_blocks_kept(tmp_path: Path) -> None:
    require_binary("promtool")
    require_binary("prometheus")
    good, bad = tmp_path / "good.om", tmp_path / "ms.om"
    good.write_text(fixture_openmetrics())
    bad.write_text(_in_milliseconds(fixture_openmetrics()))
    data = backfill(good, tmp_path / "data", "24h")
    before = _blocks(data)
    assert len(before) == 1  # the fixture's three hours: one block, no staging folder left
    with pytest.raises(ConfigError) as caught:
        backfill(bad, data, "24h")
    # the fixture's last sample, T0 + 180 min, in milliseconds read as seconds: 1.767582e12 s,
    # 56,012 Gregorian years of 31,556,952 s after 1970
    last_s = (T0.timestamp() + 180 * 60) * 1000
    assert str(caught.value) == (
        f"{bad}: its last sample is {last_s:.0f} s after 1970, in the year 57,982: its "
        "timestamps look like milliseconds, where OpenMetrics has seconds (divide them by "
        "1000); nothing was written (Prometheus's retention counts back from the newest "
        f"block: one far after now makes it delete the older blocks of {data})"
    )
    assert _blocks(data) == before
    with LocalPrometheus(data) as server:  # the fixture's data is still served
        frame = Prometheus(server.url, cache=False).traffic("kong", T0, T0 + H, "1h")
    assert frame["requests"].tolist() == [240]  # conftest: 4 m at minute m


def test_samples_after_now_are_refused(tmp_path: Path) -> None:
    require_binary("promtool")
    later = int(time.time()) + 86400  # a day from now, in seconds
    om = tmp_path / "later.om"
    om.write_text(f"# TYPE x counter\nx_total 1 {later - 60}\nx_total 2 {later}\n# EOF\n")
    with pytest.raises(ConfigError) as caught:
        backfill(om, tmp_path / "data", "24h")
    when = datetime.fromtimestamp(later, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert str(caught.value).startswith(
        f"{om}: its last sample, at {when}, is after now: backfilled samples must end before "
        "now; nothing was written"
    )
    assert _blocks(tmp_path / "data") == []


def test_blocks_move_into_the_data_dir(tmp_path: Path) -> None:
    require_binary("promtool")
    om = tmp_path / "f.om"
    om.write_text(fixture_openmetrics())
    data = backfill(om, tmp_path / "data", "24h")
    (block,) = data.iterdir()  # the block alone: the staging folder is gone
    meta = json.loads((block / "meta.json").read_text())
    # the fixture's samples: T0 to T0 + 180 min (maxTime is exclusive, in milliseconds)
    assert (meta["minTime"], meta["maxTime"]) == (
        int(T0.timestamp() * 1000),
        int(T0.timestamp() * 1000) + 180 * 60_000 + 1,
    )
