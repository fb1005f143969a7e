"""A pandas or polars frame or series, or a numpy array, given as a parameter from Python goes
to the notebook as the mapping or list it holds, checked as one (until 2026-11-30 as its
`str()`: a secret-looking key in it passed, keys and values printed into the notebook and the
report, and `df["api"].unique()` reached the notebook as the text "['orders' 'payments']")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from apislo.errors import ConfigError
from apislo.report.params import check_parameters
from tests.report.test_nested_secrets import SECRET, SECRET_NAME


@pytest.mark.parametrize(
    ("parameters", "path"),
    [
        ({"limits": pd.Series({"orders": 5, "token": SECRET})}, "limits.token"),
        ({"sources": pd.DataFrame({"url": ["http://a"], "password": [SECRET]})},
         "sources.password"),
        ({"sources": pl.DataFrame({"url": ["http://a"], "password": [SECRET]})},
         "sources.password"),
        ({"sources": np.array([{"url": "http://a"}, {"token": SECRET}], dtype=object)},
         "sources[1].token"),
    ],
)  # fmt: skip
def test_a_secret_looking_key_in_a_frame_or_array_is_refused(parameters: dict, path: str) -> None:
    with pytest.raises(ConfigError) as info:
        check_parameters(parameters)
    assert str(info.value) == SECRET_NAME.format(path=path)


def test_frames_series_and_arrays_become_mappings_and_lists() -> None:
    frame = pd.DataFrame({"api": ["orders", "payments"], "top": [3, 5]})
    parameters = {
        "apis": frame["api"].unique(),  # a numpy array of objects
        "tops": np.array([3, 5]),
        "index": pd.Index(["a", "b"]),
        "frame": frame,
        "series": pd.Series({"orders": 0.99}),
        "polars": pl.DataFrame({"api": ["orders"], "top": [3]}),
        "polars_series": pl.Series("api", ["orders", "payments"]),
    }
    assert check_parameters(parameters) == {
        "apis": ["orders", "payments"],
        "tops": [3, 5],
        "index": ["a", "b"],
        "frame": {"api": {"0": "orders", "1": "payments"}, "top": {"0": 3, "1": 5}},
        "series": {"orders": 0.99},
        "polars": {"api": ["orders"], "top": [3]},
        "polars_series": ["orders", "payments"],
    }
    plain = check_parameters(parameters)
    assert type(plain["tops"][0]) is int and type(plain["frame"]["top"]["0"]) is int


def test_numpy_scalars_stay_scalars() -> None:
    """(A 0-d value is not a container: numpy's int64 and str_ as before.)"""
    assert check_parameters({"top": np.int64(3), "api": np.str_("orders")}) == {
        "top": 3,
        "api": "orders",
    }
