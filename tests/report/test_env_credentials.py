"""Credentials given twice through the environment (the URL's user:password@ in
$APISLO_PROMETHEUS_URL and $APISLO_PROMETHEUS_TOKEN): the error names the variable the token
was in, and only it (QA: it named only bearer_token_env and a --bearer-token-env flag `report
run` does not have; until 2026-11-29 it still named that flag beside the variable)."""

from __future__ import annotations

import pytest

from apislo.errors import ConfigError
from apislo.report import views

PASSWORD = "Pw-9f3e"


def test_url_credentials_and_token_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APISLO_PROMETHEUS_URL", f"http://u:{PASSWORD}@127.0.0.1:1")
    monkeypatch.setenv("APISLO_PROMETHEUS_TOKEN", "tok")
    with pytest.raises(ConfigError) as info:
        views.data_source("data/demo/events")
    assert str(info.value) == (
        "credentials given twice: in the URL (user:password@) and by $APISLO_PROMETHEUS_TOKEN; "
        "give them one way only"
    )
    assert PASSWORD not in str(info.value)


def test_url_credentials_in_the_parameter_and_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APISLO_PROMETHEUS_URL", raising=False)
    monkeypatch.setenv("APISLO_PROMETHEUS_TOKEN", "tok")
    with pytest.raises(ConfigError) as info:
        views.data_source("", f"http://u:{PASSWORD}@127.0.0.1:1")
    assert str(info.value) == (
        "credentials given twice: in the URL (user:password@) and by $APISLO_PROMETHEUS_TOKEN; "
        "give them one way only"
    )
    assert PASSWORD not in str(info.value)
