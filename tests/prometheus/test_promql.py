"""PromQL text building and time parsing: no server needed."""

from __future__ import annotations

import pandas as pd
import pytest

from apislo.errors import ConfigError
from apislo.sources.prometheus.promql import (
    called_functions,
    escape_label_value,
    format_duration,
    matchers,
    range_texts,
    selector,
)
from apislo.sources.prometheus.times import align_down, align_up, parse_step, parse_time

NOW = pd.Timestamp("2026-03-10T12:00:00Z")


def test_escape_backslash_quote_newline() -> None:
    # Each special character becomes its two-character escape; order matters for backslashes.
    assert escape_label_value('a\\b"c\nd') == 'a\\\\b\\"c\\nd'


def test_injection_stays_a_value() -> None:
    evil = 'a"} or vector(1) #'
    assert selector("x_total", {"api": evil}) == 'x_total{api="a\\"} or vector(1) #"}'


@pytest.mark.parametrize(
    ("promql", "calls"),
    [
        ("sum(rate (x[5m]))", {"sum", "rate"}),
        ("sum(\n  irate\n  (x[5m]))", {"sum", "irate"}),
        ("sum by (api, code) (increase(x[5m]))", {"sum", "increase"}),
        ("sum without(le)(x) or (y)", {"sum"}),
        ("sum(x) by (rate)", {"sum"}),
        ("x and on (a) (y)", set()),
        ('x{path=~"/rate(/.*)?",a=\'rate(\',b=`rate(`,c="\\"rate("}', set()),
        ("x # rate(x[5m])", set()),
        ("job:x:rate5m offset 5m", set()),
        ("1e3 * 5m", set()),
        # a comment between a name and its "(" (valid PromQL, as promtool says): until
        # 2026-11-30 no call, so such a ratio query was read as counts, 300 times too few at 5m
        ("rate # per second\n  (x[5m])", {"rate"}),
        ("sum by (api) # per API\n (increase(x[5m]))", {"sum", "increase"}),
        ("x # a # b(\n # c\n y", set()),
        # keywords in any case, as PromQL takes them: until 2026-11-30 "BY" and "AND" were calls
        ("SUM BY (api) (x) AND ON (a) (y)", {"SUM"}),
    ],
)
def test_called_functions(promql: str, calls: set[str]) -> None:
    # names followed by "(" (after white space, comments, or an aggregation's by/without
    # clause), but not in strings, comments, label names or keywords
    assert called_functions(promql) == calls


@pytest.mark.parametrize(
    ("promql", "ranges"),
    [
        ("sum(increase(x[1m])) / sum(rate(y[ 90s ]))", ("1m", "90s")),
        ("max_over_time(r[1h:1m]) + min_over_time(r[30m:])", ("1h", "30m")),
        (
            "sum(rate(x[{{.window}}])) + sum(rate(x[ {{ .window }} ] offset 1h))",
            ("{{.window}}", "{{ .window }}"),
        ),
        ("x{path=~\"/a[1m]\",b='[2m]',c=`[3m]`} # rate(x[4m])", ()),
        ("x offset 5m", ()),
    ],
)
def test_range_texts(promql: str, ranges: tuple[str, ...]) -> None:
    # the ranges of range selectors and subqueries, not of text in strings or comments
    assert range_texts(promql) == ranges


def test_matchers_operators_and_validation() -> None:
    assert matchers({"code": ("=~", "5.."), "api": "x"}) == '{code=~"5..",api="x"}'
    assert matchers({}) == ""
    with pytest.raises(ConfigError, match="label name"):
        matchers({"bad-name": "x"})
    with pytest.raises(ConfigError, match="operator"):
        matchers({"a": ("==", "x")})
    with pytest.raises(ConfigError, match="metric name"):
        selector("up or vector(1)")


def test_a_name_ending_in_a_newline_is_refused() -> None:
    # `$` matched before a final newline: until 2026-11-29 `code\n` passed as a label name and
    # `up\n` as a metric name (a profile field written as a YAML `|` block gives one)
    with pytest.raises(ConfigError, match="label name"):
        matchers({"code\n": "200"})
    with pytest.raises(ConfigError, match="metric name"):
        selector("up\n")


@pytest.mark.parametrize(
    ("seconds", "text"), [(60, "1m"), (3600, "1h"), (86400, "1d"), (90, "90s"), (7200, "2h")]
)
def test_format_duration(seconds: int, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("step", "seconds"), [("30s", 30), ("1m", 60), ("1h30m", 5400), (120, 120), ("1d", 86400)]
)
def test_parse_step(step: str | int, seconds: int) -> None:
    assert parse_step(step) == seconds


@pytest.mark.parametrize("bad", ["1.5m", "abc", "0s", "10"])
def test_parse_step_rejects(bad: str) -> None:
    with pytest.raises(ConfigError):
        parse_step(bad)


def test_parse_time_forms() -> None:
    assert parse_time("now", NOW) == NOW
    assert parse_time("-7d", NOW) == pd.Timestamp("2026-03-03T12:00:00Z")
    assert parse_time("now-2h", NOW) == pd.Timestamp("2026-03-10T10:00:00Z")
    assert parse_time("2026-01-31T00:00", NOW) == pd.Timestamp("2026-01-31T00:00Z")  # naive = UTC
    assert parse_time("2026-01-31T02:00+02:00", NOW) == pd.Timestamp("2026-01-31T00:00Z")
    assert parse_time(86400, NOW) == pd.Timestamp("1970-01-02T00:00Z")
    with pytest.raises(ConfigError, match="ISO 8601"):
        parse_time("yesterday-ish", NOW)


def test_alignment() -> None:
    t = pd.Timestamp("2026-01-01T00:00:30Z")
    assert align_down(t, 60) == pd.Timestamp("2026-01-01T00:00Z")
    assert align_up(t, 60) == pd.Timestamp("2026-01-01T00:01Z")
    assert align_up(pd.Timestamp("2026-01-01T00:01Z"), 60) == pd.Timestamp("2026-01-01T00:01Z")
