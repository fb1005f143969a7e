"""Tokens, one rule for routes and the quarantine: a path's token is ``{id}`` in its route
exactly when it is ``REDACTED`` in the path's rejected line; lines that hold none are kept."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from apislo.sources.logs.fields import scrub_line_secrets
from apislo.sources.logs.normalise import template_route
from apislo.sources.logs.tokens import redact_tokens

PATHS = [
    "/bot110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe",
    "/v1/keys/q8Zr1vW-T4mYx_2LbN7cKpQ5sHdFj3uA9eGi0oXyVtE/usage",
    "/img/s/Xk9fP2qLmZ7rT4vW1yB8nC3d/photo.jpg",
    "/dl/Zx8Yw7Vu6Ts5Rq4Po3Nm2Lk1.pdf",
    "/auth/verify/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.ab-_12/confirm",
    "/login/eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
    "/getOAuth2AccessTokens",  # (a camel-case name with a digit, that long: taken for one)
    "/api/notification-preferences",
    "/v1/customer_subscriptions_v2",
    "/apis/apiextensions.k8s.io/v1/crds",
    "/pods/coredns-5d78c9869d-abcde",
    "/getUserProfileSettings",
    "/X1-short-Token",
    "/docs/eyJ-intro",
]
#: The paths above holding a token, by hand: the first seven.
TOKENS = 7


@pytest.mark.parametrize(("number", "path"), list(enumerate(PATHS)))
def test_routes_and_the_quarantine_take_the_same_tokens(number: int, path: str) -> None:
    line = f'10.0.0.1 - - [x] "GET {path} HTTP/1.1" 2x0 -'
    route = pl.select(template_route(pl.lit(path))).item()
    kept = pl.select(scrub_line_secrets(pl.lit(line))).item()
    assert ("{id}" in route, "REDACTED" in kept) == (number < TOKENS,) * 2


@pytest.mark.parametrize(
    ("path", "route", "kept"),
    [
        # the token is the 34 characters after "%2F": the run before it, 12 long, is none
        (
            "/bot110201543%2FAAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe",
            "/{id}/getMe",
            "/bot110201543%2FREDACTED/getMe",
        ),
        # 24 lower-case letters and "-" after "%2F": no capital, no digit, no token (the "2F"
        # gave it both)
        ("/files/a%2Fnotification-preferences",) * 3,
        # 18 characters after "%2f": too short a run (with "2f", 20)
        ("/a%2fAbCdEfGhIjKlMnOpQr/x",) * 3,
        # a JSON Web Token after "%2F" is seen whole (its payload and signature were kept)
        (
            "/auth%2FeyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.ab-_12/confirm",
            "/{id}/confirm",
            "/auth%2FREDACTED/confirm",
        ),
    ],
)
def test_a_percent_escape_ends_a_run_in_routes_and_lines(path: str, route: str, kept: str) -> None:
    """``%2F`` is an encoded ``/``: it ends a run and its hex digits are no part of the run
    after it, in a route as in a rejected line (until 2026-11-30 they were)."""
    line = f'10.0.0.1 - - [x] "GET {path} HTTP/1.1" 2x0 -'
    assert pl.select(template_route(pl.lit(path))).item() == route
    assert pl.select(scrub_line_secrets(pl.lit(line))).item() == line.replace(path, kept)


def test_lines_are_not_changed_in_place() -> None:
    lines = pl.Series(["GET /dl/Zx8Yw7Vu6Ts5Rq4Po3Nm2Lk1.pdf", "GET /a"])
    assert redact_tokens(lines).to_list() == ["GET /dl/REDACTED.pdf", "GET /a"]
    assert lines.to_list() == ["GET /dl/Zx8Yw7Vu6Ts5Rq4Po3Nm2Lk1.pdf", "GET /a"]


@pytest.mark.samples
def test_the_sample_logs_hold_no_token(samples_dir: Path) -> None:
    """Their 1,017 lines are kept as they are: their 1,000 runs of 20 base64url characters or
    more are gonx's lower-case hex file names, none holds an upper-case letter, and no line
    holds ``eyJ`` (``grep -oE '[A-Za-z0-9_-]{20,}'``, ``grep -c eyJ``)."""
    text = "".join(
        (samples_dir / name).read_text()
        for name in ("nginx-custom-gonx.log", "haproxy-httplog-lnav.log")
    )
    lines = pl.Series(text.splitlines())
    assert len(lines) == 1017
    assert redact_tokens(lines).equals(lines)
