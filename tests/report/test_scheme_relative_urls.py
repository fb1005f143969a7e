"""A scheme-relative URL (``//user:pw@host``) carrying credentials is refused like one with a
scheme, before a report runs; values that only contain ``//`` or ``@`` pass."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from apislo.cli import main
from apislo.errors import ConfigError
from apislo.report import run_report
from apislo.report.params import check_parameters, url_secret_key
from tests.report.conftest import NOTEBOOKS

SECRET = "LEAKPW"
REFUSAL = (
    "parameter {name!r} holds a URL with credentials (user:password@ or token@, or a credential "
    "in its query or fragment such as ?token= or #access_token=); pass the URL without them (an "
    "@ of its path written as %40) and put the token in the environment (e.g. "
    "APISLO_PROMETHEUS_TOKEN)."
)


@pytest.mark.parametrize(
    "value",
    [
        f"//u:{SECRET}@h/",
        f"//u:{SECRET}@prom.example:9090",
        f"//{SECRET}@github.com/org/repo",  # a token given as the user alone
        f"see //u:{SECRET}@h/",
        f"url=//u:{SECRET}@h",
        f'"//u:{SECRET}@h"',
        f"//prom.example/?access_token={SECRET}",
        f"//prom.example/#access_token={SECRET}",
    ],
)
def test_a_scheme_relative_url_with_credentials_is_refused(value: str) -> None:
    for name in ("label", "prometheus_url"):
        with pytest.raises(ConfigError) as info:
            check_parameters({name: value})
        assert str(info.value) == REFUSAL.format(name=name)


@pytest.mark.parametrize(
    "value",
    [
        "/a//b",
        "/a//b@c",  # a path with a doubled slash: no URL starts there
        "dir//pkg@1.2.3",
        "// a comment",
        "// TODO: ask ann@example.com",
        "a@b.c",
        "//",
        "//prom.example:9090/prometheus",
        "//cdn.example/@scope/pkg",
        "https://mastodon.social/@ann",
        "https://www.npmjs.com/package/@scope/pkg",
    ],
)
def test_ordinary_values_with_slashes_or_at_signs_pass(value: str) -> None:
    assert check_parameters({"label": value}) == {"label": value}


def test_url_secret_key_finds_a_scheme_relative_urls_token() -> None:
    assert url_secret_key(f"//prom.example/?accessToken={SECRET}") == "accessToken"
    assert url_secret_key("//prom.example/?step=1m") is None


def test_the_password_never_reaches_a_notebook_or_report(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        run_report(NOTEBOOKS / "good.ipynb", {"label": f"//u:{SECRET}@h/"}, tmp_path / "r.html")
    assert list(tmp_path.iterdir()) == []  # nothing executed, nothing written
    result = CliRunner().invoke(
        main,
        ["report", "run", str(NOTEBOOKS / "good.ipynb"), "-p", "prometheus_url",
         f"//u:{SECRET}@h/", "--out", str(tmp_path / "t.html")],
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr == "error: " + REFUSAL.format(name="prometheus_url") + "\n"
    assert SECRET not in result.output
    assert list(tmp_path.iterdir()) == []
