"""A query holding a lone surrogate, which UTF-8 cannot encode, is refused in one line before it
is sent, however it was built: an SLO or a ``where=`` made in Python (spec and profile files are
checked when loaded). Until 2026-11-29, a ``UnicodeEncodeError`` traceback from ``requests``."""

from __future__ import annotations

from datetime import timedelta

import pytest

from apislo.errors import ConfigError
from apislo.slo import SLI, SLO, Objective, TimeWindow, evaluate
from apislo.sources.prometheus import Prometheus

#: Nothing listens there; with no retry, a query that were sent would fail as unreachable.
URL = "http://127.0.0.1:9"
REFUSAL = (
    " holds U+D83D, half of a UTF-16 surrogate pair, which UTF-8, and so Prometheus, cannot hold: "
    "write the character itself, or one escape such as \\U0001F600 (not a \\ud83d\\ude00 pair)"
)


def _prom() -> Prometheus:
    return Prometheus(URL, cache=False, retries=0)


def test_an_instant_query_is_refused_naming_it() -> None:
    with pytest.raises(ConfigError) as info:
        _prom().query('up{a="x\ud83d"}', at="2026-01-01T00:00Z")
    assert str(info.value) == "query 'up{a=\"x\\ud83d\"}'" + REFUSAL


def test_a_range_query_is_refused_naming_it() -> None:
    with pytest.raises(ConfigError) as info:
        _prom().query_range('up{a="\udc80"}', "2026-01-01T00:00Z", "2026-01-01T01:00Z")
    assert str(info.value) == "query 'up{a=\"\\udc80\"}'" + REFUSAL.replace("U+D83D", "U+DC80")


def test_an_slo_built_in_python_is_refused_in_one_line() -> None:
    slo = SLO(
        "x",
        "s",
        SLI(),
        (Objective(0.99),),
        TimeWindow.rolling_window(timedelta(days=1)),
        api="a\ud83d",
    )
    with pytest.raises(ConfigError) as info:
        evaluate([slo], _prom(), at="2026-01-01T00:00Z")
    message = str(info.value)
    assert message.startswith("query '") and message.endswith(REFUSAL)
    assert 'api="a\\ud83d"' in message  # the SLO's api, escaped as Python writes it


def test_a_traffic_where_value_is_refused_in_one_line() -> None:
    with pytest.raises(ConfigError) as info:
        _prom().traffic(
            start="2026-01-01T00:00Z", end="2026-01-01T01:00Z", where={"api": "a\ud83d"}
        )
    message = str(info.value)
    assert message.startswith("query '") and message.endswith(REFUSAL)
    assert 'api="a\\ud83d"' in message
