"""Arguments of ``Prometheus.traffic`` that used to end in a traceback from pandas, pyarrow or
the query builder, or in a wrong frame, are refused with a message naming what to change.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from apislo.errors import ConfigError
from apislo.sources.prometheus import Prometheus
from tests.prometheus.conftest import T0

pytestmark = pytest.mark.prometheus
H = pd.Timedelta(hours=1)


def _refused(url: str, **options: object) -> str:
    prom = Prometheus(url, cache=False)
    with pytest.raises(ConfigError) as caught:
        prom.traffic(start=T0, end=T0 + 2 * H, step="1h", **options)
    return str(caught.value)


@pytest.mark.parametrize(("profile", "thresholds"), [("generic", [0.1, 0.1]), ("kong", [1, 1.0])])
def test_a_threshold_given_twice_is_refused(
    prom_url: str, profile: str, thresholds: list[float]
) -> None:
    # (buckets the fixture has: generic 0.1 s, Kong 1000 ms; was pyarrow's "only handle
    # 1-dimensional arrays": the column was filled twice)
    assert _refused(prom_url, profile=profile, thresholds_s=thresholds) == (
        f"thresholds_s {thresholds} gives [{thresholds[0]}] more than once"
    )


@pytest.mark.parametrize("value", [200, ["a"], None])
def test_a_where_value_that_is_not_text_is_refused(prom_url: str, value: object) -> None:
    # (were TypeError / ValueError from unpacking in the query builder)
    assert _refused(prom_url, where={"code": value}) == (
        f"where code: expected text, got {value!r}; where= tests equality only: give each "
        'label\'s value as text, in quotes if it reads as a number ({"code": "200"})'
    )


def test_two_keys_reading_one_label_are_refused(prom_url: str) -> None:
    # Kong's API label is `service`: by api and service, the api column came out all <NA>
    assert _refused(prom_url, profile="kong", by=("api", "service")) == (
        "by ['api', 'service']: api and service read the same label, service (profile kong); "
        "give each label once"
    )
    # (a key given twice was pandas' "cannot insert api, already exists")
    assert _refused(prom_url, by=("api", "api")) == (
        "by ['api', 'api']: api given twice; give each key once"
    )


def test_thresholds_as_an_array(prom_url: str) -> None:
    # conftest's orders: le=0.1 grows 6 a minute, le=0.5 9 a minute -> 360 and 540 an hour;
    # an array of thresholds is read like a list (its truth value was asked, a ValueError,
    # when the histogram had no series)
    prom = Prometheus(prom_url, cache=False)
    frame = prom.traffic(
        "generic", T0, T0 + H, "1h", where={"api": "orders"}, thresholds_s=np.array([0.5, 0.1])
    )
    assert frame[["le_0.1", "le_0.5"]].values.tolist() == [[360, 540]]
    quiet = prom.traffic(
        "generic", T0, T0 + H, "1h", where={"api": "users"}, thresholds_s=np.array([0.5, 0.1])
    )
    # users has requests (conftest: 5 m and m // 5 -> 300 + 12) but no histogram series
    assert quiet[["requests", "le_0.1", "le_0.5"]].values.tolist() == [[312, 0, 0]]
