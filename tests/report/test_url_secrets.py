"""Credentials in a URL's query string or fragment, however they are spelt, are refused before a
report runs (parameters are saved in the notebook and shown in the report)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from apislo.errors import ConfigError
from apislo.report import run_report
from apislo.report.params import check_parameters
from tests.report.conftest import NOTEBOOKS
from tests.report.test_scheme_relative_urls import REFUSAL

SECRET = "s3cr3t-value"


@pytest.mark.parametrize(
    "tail",
    [
        f"/?accessToken={SECRET}",
        f"/?access-token={SECRET}",
        f"/?X-Api-Key={SECRET}",
        f"/?authorization={SECRET}",
        f"/?bearer={SECRET}",
        f"/?private_token={SECRET}",
        f"/?jwt={SECRET}",
        f"/#access_token={SECRET}",
        f"/?step=1m&ACCESS_TOKEN={SECRET}",
        f"/?api%5Fkey={SECRET}",
        f"/#state=1&Private-Token={SECRET}",
    ],
)
def test_every_spelling_of_a_url_credential_is_refused(tail: str) -> None:
    url = "https://prom.example:9090" + tail
    with pytest.raises(ConfigError, match="URL with credentials") as info:
        check_parameters({"prometheus_url": url})
    assert SECRET not in str(info.value)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9090", "https://prom.example/prometheus", "https://h/?step=1m#top"]
)
def test_urls_without_credentials_pass(url: str) -> None:
    assert check_parameters({"prometheus_url": url, "days": 7}) == {
        "prometheus_url": url,
        "days": 7,
    }


@pytest.mark.parametrize(
    "url",
    [
        f"https://ann:pa/{SECRET}@prom.example",
        f"https://ann:1234/{SECRET}@prom.example",
        f"https://ann:{SECRET}?x@prom.example",
        f"https://ann:{SECRET}#x@prom.example",
        f"//ann:pa/{SECRET}@prom.example",
        f"https://ab/{SECRET}@prom.example",  # a token (the user alone) holding a /
        f"https://ab?{SECRET}@prom.example",
        f"https://ab#{SECRET}@prom.example",
        f"//ab/cd/{SECRET}@prom.example/api",
    ],
)
def test_a_password_holding_a_slash_question_mark_or_hash_is_refused(url: str) -> None:
    """A ``/``, ``?`` or ``#`` ends a URL's host part before the ``@``: until 2026-11-29 a
    ``user:password@`` with a ``/`` passed (one with a ``?`` or ``#`` was refused already), and
    the notebook kept the password; so did a token given as the user alone with a ``/``."""
    with pytest.raises(ConfigError) as info:
        check_parameters({"prometheus_url": url})
    assert str(info.value) == REFUSAL.format(name="prometheus_url")


@pytest.mark.parametrize(
    "value",
    [
        "https://calendar.example/embed?src=team@group.calendar.example",
        "https://grafana.example/d/slo/orders?var-owner=ann@example.com",
        "//grafana.example/d/slo?var-owner=ann@example.com&from=now-7d",
        "https://app.example/#/users/ann@example.com",
    ],
)
def test_an_email_in_a_query_or_fragment_after_a_path_passes(value: str) -> None:
    """An ``@`` in the query or fragment of a URL with a path is no ``user@``: a ``/``, then a
    ``?`` or ``#``, before it is what a token holding ``/`` would not hold (base64 holds
    neither). Until 2026-11-29 these passed; that day's check of a token holding a ``/``
    (``https://ab/cd@host``) refused them too, a dashboard link with an owner's email in it
    included."""
    assert check_parameters({"label": value}) == {"label": value}


@pytest.mark.parametrize(
    "url",
    [
        f"https://ab'{SECRET}@prom.example",
        f'https://ab"{SECRET}@prom.example',
        f"https://ab<{SECRET}@prom.example",
        f"https://ab>{SECRET}@prom.example",
    ],
)
def test_a_token_holding_a_quote_or_angle_bracket_is_refused(url: str) -> None:
    """A token given as the user alone may hold any of these (a generated password does): it
    was refused until 2026-11-29, when the check of a token holding a ``/`` let them pass."""
    with pytest.raises(ConfigError) as info:
        check_parameters({"prometheus_url": url})
    assert str(info.value) == REFUSAL.format(name="prometheus_url")


@pytest.mark.parametrize(
    ("value", "refused"),
    [
        ("a" * 20_000, False),  # a long run of letters: each a scheme's start
        ("a://x" * 4_000, False),  # a URL start every 5 characters, no @ after any
        ("http://" * 3_000, False),
        ("(//a:/" * 3_400, False),
        ("a://x" * 4_000 + "@", True),  # the last ends a://x@, a token x
    ],
)
def test_a_long_value_is_checked_in_a_moment(value: str, refused: bool) -> None:
    """Until 2026-11-29 each took 1 to 7 seconds (the credentials' regex read on to the next
    ``@`` from every ``//``, and tried a scheme at each letter of a run), and a job's values
    are checked at each run."""
    began = time.perf_counter()
    try:
        check_parameters({"label": value})
    except ConfigError as error:
        assert (refused, str(error)) == (True, REFUSAL.format(name="label"))
    else:
        assert not refused
    assert time.perf_counter() - began < 0.5


def test_a_password_holding_a_slash_never_reaches_a_notebook(tmp_path: Path) -> None:
    url = f"https://ann:pa/{SECRET}@prom.example"
    with pytest.raises(ConfigError, match="credentials"):
        run_report(NOTEBOOKS / "good.ipynb", {"prometheus_url": url}, tmp_path / "r.html")
    assert list(tmp_path.iterdir()) == []  # nothing executed, nothing written


def test_a_fragment_token_never_reaches_a_notebook(tmp_path: Path) -> None:
    url = f"https://prom.example:9090/#access_token={SECRET}"
    with pytest.raises(ConfigError, match="credentials"):
        run_report(NOTEBOOKS / "good.ipynb", {"prometheus_url": url}, tmp_path / "r.html")
    assert list(tmp_path.iterdir()) == []  # nothing executed, nothing written


@pytest.mark.parametrize(
    "value",
    [
        ["orders", f"https://bob:{SECRET}@prom.example"],
        {"main": f"https://prom.example/?token={SECRET}"},
        ("a", ["b", f"//{SECRET}@prom.example"]),
        {f"https://bob:{SECRET}@prom.example": "main"},  # (a key reaches the notebook too)
    ],
)
def test_a_credential_inside_a_list_or_mapping_is_refused(value: object) -> None:
    # a job's YAML may give a list or a mapping: its texts go into the notebook all the same
    with pytest.raises(ConfigError, match="URL with credentials") as info:
        check_parameters({"sources": value})
    assert SECRET not in str(info.value)


def test_numpy_numbers_stay_numbers() -> None:
    """`run_report(..., {"top": frame["n"].max()})` gave the notebook the text "3": `top: '3' is
    not valid; allowed: a whole number >= 1`."""
    import numpy as np

    checked = check_parameters({"top": np.int64(3), "days": np.float32(0.5), "n": [np.uint8(2)]})
    assert checked == {"top": 3, "days": 0.5, "n": [2]}
    assert [type(v) for v in (checked["top"], checked["days"], checked["n"][0])] == [
        int,
        float,
        int,
    ]


def test_numpy_booleans_stay_booleans() -> None:
    """`run_report(..., {"all_apis": frame["ok"].all()})` gave the notebook the text "False",
    which is true in an `if`."""
    import numpy as np

    checked = check_parameters({"all_apis": np.bool_(False), "flags": [np.bool_(True)]})
    assert checked == {"all_apis": False, "flags": [True]}
    assert type(checked["all_apis"]) is bool
