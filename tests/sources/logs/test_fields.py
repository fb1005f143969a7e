"""Shared field helpers: sentinels, numbers, statuses, times, secrets."""

from __future__ import annotations

import datetime as dt

import polars as pl

from apislo.sources.logs.fields import (
    clean,
    clean_columns,
    has_keys,
    hash_secrets,
    local_to_utc,
    number,
    parse_clf_time,
    parse_iso_time,
    request_columns,
    scrub_query_secrets,
    sniff_json,
    status_code,
)

UTC = dt.UTC


def run(expr: pl.Expr, values: list) -> list:
    return pl.DataFrame({"x": values}, schema={"x": pl.String}).select(expr).to_series().to_list()


def test_clean_columns_maps_sentinels():
    frame = pl.DataFrame({"a": [" x ", "-", "", None], "b": ["-", "1", "2", "3"]})
    out = clean_columns(frame, ["a"])
    assert out["a"].to_list() == ["x", None, None, None]
    assert out["b"].to_list() == ["-", "1", "2", "3"]


def test_number_sentinels_units_and_bad_values():
    raw = ["1487", "-", "", " 43 ", "-1", "109", "abc", None, "12.5", "inf"]
    num = number(clean(pl.col("x")), divisor=1000, none_values=("-1",))
    assert run(num.value, raw) == [1.487, None, None, 0.043, None, 0.109, None, None, 0.0125, None]
    assert run(num.bad, raw) == [False] * 6 + [True, False, False, True]


def test_integer_numbers_reject_fractions():
    num = number(clean(pl.col("x")), integer=True)
    assert run(num.value, ["512", "12.0", "12.5", "-"]) == [512, 12, None, None]
    assert run(num.bad, ["512", "12.0", "12.5", "-"]) == [False, False, True, False]


def test_status_code_range_and_sentinels():
    status = status_code(clean(pl.col("x")))
    raw = ["200", "0", "-1", "99", "1000", "x", "-"]
    assert run(status.value, raw) == [200, None, None, None, None, None, None]
    assert run(status.bad, raw) == [False, False, False, True, True, True, False]


def test_times_to_utc():
    iso = ["2016-04-15T20:17:00.310Z", "2024-01-01T10:00:00.1+02:00", "2024-01-01T10:00:00Z", "x"]
    assert run(parse_iso_time(pl.col("x")), iso) == [
        dt.datetime(2016, 4, 15, 20, 17, 0, 310000, tzinfo=UTC),
        dt.datetime(2024, 1, 1, 8, 0, 0, 100000, tzinfo=UTC),
        dt.datetime(2024, 1, 1, 10, 0, tzinfo=UTC),
        None,
    ]
    clf = ["10/Oct/2000:13:55:36 -0700", "02/Jan/2024:03:04:05 +0100", "-"]
    assert run(parse_clf_time(pl.col("x")), clf) == [
        dt.datetime(2000, 10, 10, 20, 55, 36, tzinfo=UTC),
        dt.datetime(2024, 1, 2, 2, 4, 5, tzinfo=UTC),
        None,
    ]
    naive = pl.col("x").str.to_datetime("%Y-%m-%d %H:%M")
    assert run(local_to_utc(naive, "Asia/Kolkata"), ["2024-01-01 05:30"]) == [
        dt.datetime(2024, 1, 1, 0, 0, tzinfo=UTC)
    ]
    assert run(local_to_utc(naive, None), ["2024-01-01 05:30"]) == [
        dt.datetime(2024, 1, 1, 5, 30, tzinfo=UTC)
    ]


def test_request_columns():
    raw = ["get /a?b=1 HTTP/1.1", "GET /old", None, "\x16\x03\x01", "GET /a HTTP/1.1 extra"]
    frame = request_columns(pl.DataFrame({"request": raw}, schema={"request": pl.String}))
    assert frame["method"].to_list() == ["GET", "GET", None, None, None]
    assert frame["path"].to_list() == ["/a?b=1", "/old", None, None, None]
    assert frame["__request_ok"].to_list() == [True, True, False, False, False]


def test_scrub_query_secrets():
    raw = [
        "/a?apikey=s3cr3t&x=1",
        "/a?x=1&API_KEY=k#frag",
        "/a?token=t;access_token=u",
        "/apikey",
        "/3scale?user_key=u1&app_id=7&app_key=k2",  # 3scale APIcast credentials
    ]
    assert run(scrub_query_secrets(pl.col("x")), raw) == [
        "/a?apikey=REDACTED&x=1",
        "/a?x=1&API_KEY=REDACTED#frag",
        "/a?token=REDACTED;access_token=REDACTED",
        "/apikey",
        "/3scale?user_key=REDACTED&app_id=7&app_key=REDACTED",
    ]


def test_scrub_percent_encoded_keys_path_parameters_and_whole_lines():
    raw = [
        "/a?api%5Fkey=k1&API%2dKEY=k2",  # _ and - percent-encoded, in either case
        "/a;jsessionid=S1/orders/7?key=k3/4+5=",  # a path parameter ends at /, a query value not
        '1.2.3.4 - - [x] "GET /q?token=t1 HTTP/1.1" 400 0 "-" "curl"',  # a quarantined line
        # HAProxy's bytes (#41 is A, #C3#A9 is é): the values are Abc and éx; until 2026-11-30
        # they ended at the '#', and a quarantined HAProxy line kept them
        '0/0 "GET /q?token=#41bc&x=1 HTTP/1.1"',
        '0/0 "GET /a;jsessionid=#C3#A9x/b?key=k#22#frag HTTP/1.1"',
    ]
    assert run(scrub_query_secrets(pl.col("x")), raw) == [
        "/a?api%5Fkey=REDACTED&API%2dKEY=REDACTED",
        "/a;jsessionid=REDACTED/orders/7?key=REDACTED",
        '1.2.3.4 - - [x] "GET /q?token=REDACTED HTTP/1.1" 400 0 "-" "curl"',
        '0/0 "GET /q?token=REDACTED&x=1 HTTP/1.1"',
        '0/0 "GET /a;jsessionid=REDACTED/b?key=REDACTED#frag HTTP/1.1"',
    ]


def test_hash_secrets_matches_the_contract_example():
    # base.hash_secret's docstring: hash_secret("s3cr3t") == "key-4e738ca5563c".
    out = hash_secrets(pl.Series("k", ["s3cr3t", None, "-", "s3cr3t"]))
    assert out.to_list() == ["key-4e738ca5563c", None, None, "key-4e738ca5563c"]


def test_hash_secrets_takes_true_and_empty_for_no_key():
    """A bare `?apikey` reaches here as `true` (Kong's JSON boolean): it was hashed, one made-up
    consumer for all; like `""`, `" "` and `-` it is no key. A key merely holding the word is
    one: `truex` -> SHA-256 b6c7e68e..., worked out with `printf truex | sha256sum`."""
    out = hash_secrets(pl.Series("k", ["true", "", " ", "-", "truex"]))
    assert out.to_list() == [None, None, None, None, "key-b6c7e68e88cb"]


def test_hash_secrets_takes_only_the_values_logged_bare_for_no_key():
    """Told which values were the JSON boolean `true` (a bare `?apikey`), only those are no key:
    the key `"true"` is hashed (`printf true | sha256sum`: b5bea41b6c62...), and so is `k`
    (8254c329a928...); sentinels and lists stay no key."""
    values = pl.Series("k", ["true", "true", "k", "-", '["a", "b"]'])
    bare = pl.Series([True, False, False, False, False])
    out = hash_secrets(values, bare=bare)
    assert out.to_list() == [None, "key-b5bea41b6c62", "key-8254c329a928", None, None]


def test_sniff_json_decodes_only_lines_that_start_like_json() -> None:
    lines = [' {"a": 1}', "GET / HTTP/1.1", '[{"a": 2}]', '"{"', "", '\x0c{"a": 3}', '{"b": 4}']
    # ' {"a": 1}' only: the batch is a list, '"{"' a string, \x0c is not JSON whitespace
    assert sniff_json(lines, has_keys("a")) == 1 / 7
    batches = lambda value: isinstance(value, list) and has_keys("a")(value[0])  # noqa: E731
    assert sniff_json(lines, batches) == 1 / 7
    # `recover` gets the lines that start like JSON (after any blank) but do not decode
    assert sniff_json(lines, has_keys("a"), recover=lambda line: {"a": line}) == 2 / 7
