"""Full-URL request targets (``GET http://user:pass@host/path``, as sent to a proxy): the route
and API come from the path alone, and no user or password is stored."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import apislo
from apislo.sources.logs.normalise import RouteMap, RouteRule, normalise, template_route

LINE = (
    '1.2.3.4 - - [17/Nov/2026:12:00:10 +0000] "GET http://bob:hunter2@api.example.com/v2/orders/17'
    ' HTTP/1.1" 200 10 "-" "curl" 0.010 0.009'
)


@pytest.mark.parametrize(
    ("target", "route"),
    [
        ("http://bob:hunter2@api.example.com/v2/orders/17", "/v2/orders/{id}"),
        ("https://api.example.com:8443/v1/users/42?x=1", "/v1/users/{id}"),
        ("HTTP://token@api.example.com", "/"),  # no path: the origin's "/"
        ("http://api.example.com?q=1", "/"),
        ("/v2/orders/17", "/v2/orders/{id}"),  # origin form: as before
        ("*", "*"),  # OPTIONS *
    ],
)
def test_route_of_a_full_url(target: str, route: str) -> None:
    assert pl.select(template_route(pl.lit(target))).item() == route


def test_read_logs_names_the_api_from_the_path(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_text(LINE + "\n")
    events = apislo.read_logs(log, format="nginx-timed")
    row = events.iloc[0]
    assert (row["api"], row["route"], row["api_version"]) == ("orders", "/v2/orders/{id}", "v2")
    text = events.astype(str).to_string()
    assert "hunter2" not in text and "bob" not in text


def test_the_route_map_sees_the_path() -> None:
    raw = pl.DataFrame({"path": ["http://u:p@h/internal/health"]})
    rules = RouteMap((RouteRule("^/internal/health$", "health", "health check"),))
    events = normalise(raw, "nginx-timed", rules)
    assert events.select(pl.col("api", "route").cast(pl.String)).row(0) == (
        "health",
        "health check",
    )
