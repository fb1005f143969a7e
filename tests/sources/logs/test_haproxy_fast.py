"""The C kernel path of HAProxy's httplog: which template a chunk gets, what the kernel keeps and
declines, and agreement with the regex path line for line on a messy corpus, in UTC and in a
zone with daylight saving (the regex path is the second method; hand-worked values are in
``test_haproxy.py``)."""

from __future__ import annotations

import random

import pytest

from apislo.sources.logs import haproxy_fast
from apislo.sources.logs.base import ParseOptions
from apislo.sources.logs.haproxy import HaproxyHttp
from tests.sources.logs import Messy, agree, agree_through_kernel, mangle
from tests.sources.logs.test_haproxy import BADREQ, IPV6_LOGASAP, NOSRV, RETRIED

GOOD = (
    "10.0.0.1:40000 [06/Feb/2009:12:14:14.655] fe_https~ be_api/srv1 0/0/1/54/56 200 2750 - -"
    ' ---- 1/1/0/0/0 0/0 {api.example.com} {} "GET /v1/orders?apikey=k HTTP/1.1"'
)


def _with(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


def _kept(line: str, tz: str | None = None) -> bool:
    _, lines, declined = haproxy_fast.path(tz).run((line + "\n").encode(), 1)
    assert len(lines) + len(declined) == 1
    return len(lines) == 1


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        (GOOD, True),
        (_with("be_api/srv1", "be_api/<NOSRV>"), True),  # no server: no attempts
        (_with(" {api.example.com} {}", ""), True),  # no header block
        (_with("10.0.0.1:40000", "2001:db8::1:40000"), True),  # the port after the last ':'
        (_with(".655]", "]"), True),
        (_with(".655]", ".655123]"), True),
        (_with(" 200 2750", " 0 2750"), True),
        # the regex's to read: + counts, no closing quote
        (NOSRV, True),  # -1: a timer not reached (null)
        (_with(" 200 2750", " -1 2750"), True),  # -1: no response (a null status)
        (IPV6_LOGASAP, False),
        (RETRIED, False),
        (BADREQ, False),
        (_with(' HTTP/1.1"', " HTTP/1.1"), False),
        # what the regex requires that the kernel's rules let through, or would read otherwise
        (_with(" 0/0/1/54/56 ", " 0/-/1/54/56 "), False),
        (_with(" 0/0/1/54/56 ", " 0//1/54/56 "), False),
        (_with(" 0/0/1/54/56 ", " 0/0/1/-2/56 "), False),
        (_with(" 200 2750", " -2 2750"), False),
        (_with("10.0.0.1:40000", "10.0.0.1:-"), False),
        (_with("be_api/", "be\tapi/"), False),
        (_with("be_api/", "be api/"), False),  # [^/\s]+
        (_with(" ---- ", " --- "), False),
        (_with(" 1/1/0/0/0 ", " 1/1/0/0/32767 "), False),  # attempts would overflow Int16
        (_with(" 200 2750", " 99 2750"), False),
        (_with(" 200 2750", " 200 -"), False),
        (_with("/0/1/54/56 ", "/0/1/54/9007199254740992 "), False),
        (_with("06/Feb/2009", "06/feb/2009"), False),
        (_with(".655]", ".6551234]"), False),
        (_with("GET /v1", "get /v1"), False),
        (_with("/v1/orders", "/v1\t/orders"), False),
        (GOOD + " ", False),
    ],
)
def test_what_the_kernel_keeps_and_declines(line: str, kept: bool) -> None:
    """Declined or kept, the parse is the regex path's, field for field."""
    assert _kept(line) == kept
    agree(HaproxyHttp(), [line])


def test_a_time_the_zone_skips_is_the_regex_paths_to_reject() -> None:
    """Paris went from 02:00 to 03:00 on 2024-03-31: 02:30 never happened there (the regex path
    rejects it as bad_timestamp), while it is a plain time in UTC."""
    gap = _with("06/Feb/2009:12:14:14.655", "31/Mar/2024:02:30:00.000")
    assert _kept(gap, "Europe/Paris") is False
    assert _kept(gap) is True
    parsed = HaproxyHttp(ParseOptions(tz="Europe/Paris")).parse((gap + "\n").encode())
    assert parsed.rejects["reason"].to_list() == ["bad_timestamp"]


def test_the_template_of_a_chunk_is_the_one_its_first_lines_are_in() -> None:
    no_headers = _with(" {api.example.com} {}", "")
    one_block = _with(" {api.example.com} {}", " {api.example.com}")
    for line, program in [
        (GOOD, haproxy_fast.TEMPLATES[0]),
        (one_block, haproxy_fast.TEMPLATES[1]),
        (no_headers, haproxy_fast.TEMPLATES[2]),
    ]:
        assert haproxy_fast.path(None).choose((line + "\n").encode(), 1) is program


_DATES = [
    "06/Feb/2009:12:14:14.655",
    "06/Feb/2009:12:14:14",
    "29/Feb/2024:23:59:59.999999",
    "01/Jan/1970:00:30:00.000",  # 1969 in UTC read in Europe/Paris: off the calendar
    "31/Mar/2024:02:30:00.000",
    "27/Oct/2024:02:30:00.000",
    "29/Feb/2023:00:00:00.000",
    "06/Feb/2009:24:00:00.000",
    "06/Feb/2009:12:14:14.1234567",
    "06/feb/2009:12:14:14.655",
    "2009-02-06 12:14:14",
]


def _line(rng: random.Random) -> str:
    """One line of a deliberately messy httplog."""
    if rng.random() < 0.02:
        return rng.choice(["", "Proxy fe started.", "10.0.0.15:443 [06/Feb/2009] fe/1: SSL"])
    client = rng.choice(["10.0.0.1:40000", "2001:db8::1:40001", "10.0.0.1:-", "x", "a\tb:1"])
    backend = rng.choice(["be_api/srv1", "be_api/<NOSRV>", "be api/srv1", "/srv1", "be/-"])
    timers = rng.choice(
        ["0/0/1/54/56", "0/0/1/43/43", "0/0/-1/-1/3001", "0/0/1/54/+56", "0/-/1/2/3", "1/2/3"]
    )
    status = rng.choice(["200", "0", "-1", "503", "99", "-", "abc"])
    size = rng.choice(["2750", "0", "+2750", "-", "9007199254740992"])
    state = rng.choice(["----", "SC--", "cH--", "---", "--NI", "-----"])
    conns = rng.choice(["1/1/0/0/0", "1/1/0/0/2", "1/1/0/0/+1", "1/1/0/0/40000", "1/1/x/0/0"])
    headers = rng.choice([" {api.example.com} {}", "", " {a|b c}", " {x}", " {a} {b} {c}"])
    method = rng.choice(["GET", "POST", "get", "M-SEARCH", "<BADREQ>"])
    path = rng.choice(["/v1/orders?apikey=k", "/a", "/caf\xe9", "/t\tab", "/q\x01x"])
    request = rng.choice([f"{method} {path} HTTP/1.1", "<BADREQ>", f"{method} {path} HTTP/9"])
    line = (
        f"{client} [{rng.choice(_DATES)}] fe_https~ {backend} {timers} {status} {size} - -"
        f' {state} {conns} 0/0{headers} "{request}"'
    )
    return mangle(rng, line, lambda x: x.removesuffix('"'))


@pytest.mark.parametrize("tz", [None, "Europe/Paris"])
def test_both_paths_agree_on_a_messy_corpus(tz: str | None) -> None:
    """20,000 lines, each field odd one time in seven or so, in chunks of 500, each chunk also
    thinned to its kept lines and a third of the others (:func:`agree_through_kernel`)."""
    rng = Messy(10)
    lines = [_line(rng) for _ in range(20_000)]
    fmt = HaproxyHttp(ParseOptions(tz=tz))
    events = kept = 0
    for start in range(0, len(lines), 500):
        block_events, block_kept = agree_through_kernel(
            fmt, haproxy_fast.path(tz), lines[start : start + 500]
        )
        events, kept = events + block_events, kept + block_kept
    # The templates must carry a good share of the corpus (its lines without an oddity).
    assert 3_000 < kept < events < len(lines)
