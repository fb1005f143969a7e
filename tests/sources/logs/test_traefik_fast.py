"""The C kernel path of Traefik's text access log: what it keeps and declines, and agreement with
the regex path line for line on a messy corpus (the regex path is the second method; the
hand-worked values are in ``test_traefik.py``)."""

from __future__ import annotations

import random

import pytest

from apislo.sources.logs import traefik_fast
from apislo.sources.logs.traefik import TraefikClf
from tests.sources.logs import Messy, agree, agree_through_kernel, mangle

GOOD = (
    '192.168.1.10 - alice [02/Jan/2024:03:04:05 +0000] "GET /whoami?token=t HTTP/1.1" 200 412'
    ' "-" "Mozilla/5.0" 12 "whoami@docker" "http://172.18.0.3:80" 43ms'
)


def _with(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        (GOOD, True),
        (_with("+0000", "-0530"), True),
        (_with(" 200 412", " 0 412"), True),  # Traefik answered itself: a null status
        (_with(" 200 412", " - 412"), True),
        (_with(" 200 412", " 200 -"), True),
        (_with(" 200 412", " 99 412"), False),  # a status outside 100-999
        (_with(" 200 412", " 200 9007199254740992"), False),  # 2**53
        (_with(" 12 ", " - "), False),  # \d+: no count
        (_with(" 12 ", " 012 "), False),
        (_with(" 43ms", " -ms"), False),
        (_with(" 43ms", " ms"), False),
        (_with(" 43ms", " 4m3ms"), False),
        (_with(" 43ms", " 43ms "), False),
        (_with('"Mozilla/5.0"', '"Mozilla "x" 5.0"'), False),  # a quote in the agent
        (_with("GET /whoami", "M-SEARCH /whoami"), False),
        (_with("GET /whoami", "get /whoami"), False),
        (_with("/whoami?", "/who\tami?"), False),
        (_with("02/Jan/2024", "02/jan/2024"), False),
        (_with("+0000", "+2400"), False),  # a zone strptime's %z refuses (NGINX's kernel takes it)
    ],
)
def test_what_the_kernel_keeps_and_declines(line: str, kept: bool) -> None:
    """Declined or kept, the parse is the regex path's, field for field."""
    _, lines, declined = traefik_fast.PATH.run((line + "\n").encode(), 1)
    assert (len(lines), len(declined)) == ((1, 0) if kept else (0, 1))
    agree(TraefikClf(), [line])


def test_the_kernel_reads_the_fields_the_regex_reads() -> None:
    """The good line's values, worked out by hand, through the kernel: 03:04:05 UTC, the token
    redacted, 43 ms = 0.043 s, the router's provider dropped."""
    events, lines, _ = traefik_fast.PATH.run((GOOD + "\n").encode(), 1)
    assert len(lines) == 1
    row = events.to_dicts()[0]
    assert (str(row["ts"]), row["method"], row["path"]) == (
        "2024-01-02 03:04:05+00:00",
        "GET",
        "/whoami?token=REDACTED",
    )
    assert (row["status"], row["latency_s"], row["bytes_out"]) == (200, 0.043, 412)
    assert (row["consumer"], row["api"]) == ("alice", "whoami")


_TIMES = [
    "02/Jan/2024:03:04:05 +0000",
    "29/Feb/2024:23:59:59 +1400",
    "29/Feb/2023:00:00:00 +0000",
    "02/Jan/2024:24:00:00 +0000",
    "02/Jan/2024:03:04:05 -1130",
    "01/Jan/1970:00:30:00 +0100",  # 1969 in UTC: off the calendar
    "02/Jan/2024:03:04:05 +2400",
    "02/Jan/2024:03:04:05 +0060",
    "02/Jan/2024:03:04:05",
    "2024-01-02T03:04:05Z",
]
_PATHS = ["/whoami", "/a?apikey=k&x=1", "/caf\xe9", "/t\tab", "/q\x01x", "/%20"]


def _line(rng: random.Random) -> str:
    """One line of a deliberately messy Traefik text log."""
    if rng.random() < 0.02:
        return rng.choice(["", 'time="2024-01-02T03:04:05Z" level=info msg="Configuration"'])
    method = rng.choice(["GET", "POST", "get", "M-SEARCH", "-"])
    proto = rng.choice(["HTTP/1.1", "HTTP/2.0", "HTTP/9"])
    request = rng.choice([f"{method} {rng.choice(_PATHS)} {proto}", "-", f"{method} /x"])
    user = rng.choice(["-", "alice", "caf\xe9"])
    status = rng.choice(["200", "0", "-", "99", "1000", "abc", "0200"])
    size = rng.choice(["412", "0", "-", "9007199254740992", "4.5", "007"])
    agent = rng.choice(["Mozilla/5.0", 'Mozilla "x" 5.0', "-", "", 'a" 5 "b'])
    count = rng.choice(["12", "0", "-", "012", "x"])
    router = rng.choice(["whoami@docker", "-", "", "a@b@c", "plain", "caf\xe9@file"])
    duration = rng.choice(["43", "0", "-", "", "1.5", "4m3", "fast", "1234567890123456"])
    line = (
        f'10.0.0.1 - {user} [{rng.choice(_TIMES)}] "{request}" {status} {size} "-" "{agent}"'
        f' {count} "{router}" "http://10.0.0.5:80" {duration}ms'
    )
    return mangle(rng, line, lambda x: x + " ")


def test_both_paths_agree_on_a_messy_corpus() -> None:
    """20,000 lines, each field odd one time in seven or so, in chunks of 500, each chunk also
    thinned to its kept lines and a third of the others (:func:`agree_through_kernel`)."""
    rng = Messy(9)
    lines = [_line(rng) for _ in range(20_000)]
    events = kept = 0
    for start in range(0, len(lines), 500):
        block_events, block_kept = agree_through_kernel(
            TraefikClf(), traefik_fast.PATH, lines[start : start + 500]
        )
        events, kept = events + block_events, kept + block_kept
    # The template must carry a good share of the corpus (its lines without an oddity).
    assert 5_000 < kept < events < len(lines)
