"""The C kernel path of API Gateway's CLF preset: which template a chunk gets, what the kernel
keeps and declines, the values it reads (worked out by hand), and agreement with the regex path
line for line on a messy corpus of each preset (the regex path is the second method)."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from apislo.sources.logs import aws_fast
from apislo.sources.logs.aws_apigw import AwsApiGatewayClf
from apislo.sources.logs.base import Parsed
from apislo.sources.logs.nginx_fast import scan
from tests.sources.logs import Messy, agree, agree_through_kernel, as_strings, mangle

UTC = dt.UTC
#: REST: caller and user filled (IAM), the extended request id after the request id.
REST = (
    "203.0.113.5 AIDACALLER arn:aws:iam::123456789012:user/bob [02/Jan/2024:03:04:05 -0500]"
    ' "GET /pets/7?apikey=s3cr3t&x=1 HTTP/1.1" 404 47 c6af9ac6-7b61-11e6-9a41-93e8deadbeef'
    " XyZ1abCDoAMFq8w="
)
#: HTTP API: the route key repeats the method (upper case), the request's method as sent.
HTTP = '2001:db8::5 - - [29/Feb/2024:23:59:59 +0530] "post POST /pets/{id} HTTP/2.0" 0 - r-http'
#: The ``$default`` route: a request line as REST's, whose target is no path; caller only.
DEFAULT = (
    '198.51.100.7 AIDACALLER - [02/Jan/2024:03:04:05 +0000] "GET $default HTTP/1.1" 200 120 r-d'
)


def _chunk(lines: list[str]) -> bytes:
    return "".join(line + "\n" for line in lines).encode()


def _agree(lines: list[str]) -> Parsed:
    return agree(AwsApiGatewayClf(), lines)


def _kept(line: str) -> tuple[int, int]:
    """Whether the REST template, then the HTTP one, keeps ``line`` (before the checks)."""
    chunk = _chunk([line])
    return scan(aws_fast.REST, chunk, 1).kept, scan(aws_fast.HTTP, chunk, 1).kept


def test_each_template_keeps_its_own_lines() -> None:
    """REST lines, with or without the extended request id, and ``$default`` lines go to the
    REST template; route keys with their method to the HTTP template; each keeps no other."""
    assert _kept(REST) == (1, 0)
    assert _kept(REST.removesuffix(" XyZ1abCDoAMFq8w=")) == (1, 0)
    assert _kept(DEFAULT) == (1, 0)
    assert _kept(HTTP) == (0, 1)
    assert aws_fast.PATH.choose(_chunk([REST]), 1) is aws_fast.REST
    assert aws_fast.PATH.choose(_chunk([HTTP]), 1) is aws_fast.HTTP


def test_the_kernel_reads_the_fields_the_regex_reads() -> None:
    """The three lines' values, worked out by hand, through the kernel: 03:04:05 at -0500 is
    08:04:05 UTC, the key redacted, the user before the caller; 23:59:59 at +0530 is 18:29:59
    UTC the same day (2024 is a leap year), ``post`` upper-cased, the route's path after its
    method, status 0 and length ``-`` null; ``$default`` no path, the caller as consumer."""
    rows = []
    for line in (REST, HTTP, DEFAULT):
        events, lines, _ = aws_fast.PATH.run(_chunk([line]), 1)
        assert len(lines) == 1
        rows.append(events.to_dicts()[0])
    rest, http, default = rows
    assert (rest["ts"], rest["method"], rest["path"]) == (
        dt.datetime(2024, 1, 2, 8, 4, 5, tzinfo=UTC),
        "GET",
        "/pets/7?apikey=REDACTED&x=1",
    )
    assert (rest["status"], rest["bytes_out"]) == (404, 47)
    assert rest["consumer"] == "arn:aws:iam::123456789012:user/bob"
    assert (rest["host"], rest["latency_s"], rest["upstream_latency_s"], rest["api"]) == (
        None,
        None,
        None,
        None,
    )
    assert (http["ts"], http["method"], http["path"]) == (
        dt.datetime(2024, 2, 29, 18, 29, 59, tzinfo=UTC),
        "POST",
        "/pets/{id}",
    )
    assert (http["status"], http["bytes_out"], http["consumer"]) == (None, None, None)
    assert (default["method"], default["path"], default["status"]) == ("GET", None, 200)
    assert (default["bytes_out"], default["consumer"]) == (120, "AIDACALLER")


def _with(line: str, old: str, new: str) -> str:
    assert old in line
    return line.replace(old, new, 1)


def _no_blank(line: str) -> str:
    """``line`` as the console's REST preset writes it: no blank between ``]`` and ``"``."""
    return _with(line, '] "', ']"')


def test_lines_without_the_blank_before_the_request_are_kept() -> None:
    """The console's REST preset writes ``[$context.requestTime]"$context.httpMethod ...``: the
    kernel keeps such lines (REST, HTTP API, ``$default``) with the values it reads of the same
    lines with the blank (worked out by hand above), by the templates without the blank, which
    keep no line with it."""
    for line in (REST, HTTP, DEFAULT):
        events, lines, declined = aws_fast.PATH.run(_chunk([_no_blank(line)]), 1)
        assert (len(lines), len(declined)) == (1, 0)
        assert as_strings(events).equals(as_strings(aws_fast.PATH.run(_chunk([line]), 1)[0]))
    programs = (aws_fast.REST_NO_BLANK, aws_fast.HTTP_NO_BLANK)
    assert [scan(p, _chunk([_no_blank(REST)]), 1).kept for p in programs] == [1, 0]
    assert [scan(p, _chunk([_no_blank(HTTP)]), 1).kept for p in programs] == [0, 1]
    assert [scan(p, _chunk([REST, HTTP, DEFAULT]), 3).kept for p in programs] == [0, 0]
    assert _kept(_no_blank(REST)) == _kept(_no_blank(HTTP)) == (0, 0)
    assert aws_fast.PATH.choose(_chunk([_no_blank(REST)]), 1) is aws_fast.REST_NO_BLANK
    _agree([_no_blank(line) for line in (REST, HTTP, DEFAULT)] + [REST, HTTP])


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        (REST, True),
        (_no_blank(REST), True),
        (_no_blank(HTTP), True),
        (_no_blank(DEFAULT), True),
        (REST.removesuffix(" XyZ1abCDoAMFq8w="), True),  # no extended request id
        (REST + " \t", True),  # \s*$ takes the blanks
        (_with(REST, " 404 47 ", " 0 47 "), True),  # no response: a null status
        (_with(REST, " 404 47 ", " - - "), True),
        (HTTP, True),
        (_with(HTTP, "post POST", "Get ANY"), True),
        (DEFAULT, True),
        # declined: what the regex path rejects or reads otherwise
        (_with(REST, " 404 47 ", " 99 47 "), False),  # a status outside 100-999
        (_with(REST, " 404 47 ", " 1000 47 "), False),
        (_with(REST, " 404 47 ", " 404 9007199254740992 "), False),  # 2**53
        (_with(REST, " 404 47 ", " 404 047 "), False),
        (_with(REST, " 404 47 ", " -1 47 "), False),  # a sentinel the regex path knows
        (_with(REST, "GET /pets", "M-SEARCH /pets"), False),  # not [A-Za-z]+
        (_with(REST, "GET /pets", "get /pets"), False),  # upper-cased by the regex path
        (_with(REST, "/pets/7", "/pets\t7"), False),  # \S+ stops at the tab
        (_with(REST, "HTTP/1.1", "HTTP/9"), False),  # a protocol the kernel does not know
        (_with(REST, "-0500", "+2400"), False),  # a zone strptime's %z refuses
        (_with(REST, "02/Jan/2024", "02/jan/2024"), False),
        (_with(REST, "02/Jan/2024:03:04:05 -0500", "01/Jan/1970:00:30:00 +0100"), False),  # 1969
        (_with(REST, "user/bob", "user/b\xf6b"), False),  # non-ASCII
        (_with(REST, " XyZ1", ' "XyZ1'), False),  # a quote ends the ids early
        (_with(REST, " XyZ1", "  XyZ1"), False),  # two blanks between the ids
        (REST + " third", False),  # three ids
        (_with(REST, " XyZ1", "\tXyZ1"), False),
        (_with(HTTP, "post POST", "- POST"), False),  # the method must be [A-Za-z]+
        (_with(HTTP, "post POST", "p0st POST"), False),
        (_with(HTTP, "post POST", "post Post"), False),  # the route's method: [A-Z]+ only
        (_with(HTTP, "post POST", "post PO_ST"), False),
        (_with(REST, '] "', ']  "'), False),  # one blank or none
        (_with(REST, '] "', ']\t"'), False),
    ],
)
def test_what_the_kernel_keeps_and_declines(line: str, kept: bool) -> None:
    """Declined or kept, the parse is the regex path's, field for field."""
    _, lines, declined = aws_fast.PATH.run(_chunk([line]), 1)
    assert (len(lines), len(declined)) == ((1, 0) if kept else (0, 1))
    _agree([line])


def test_the_template_of_a_chunk_is_the_one_its_first_lines_are_in() -> None:
    """A chunk of HTTP API lines after two REST ones is read with the HTTP template (sixteen
    lines decide); the REST lines then go to the regex, which reads them all the same."""
    lines = [REST, DEFAULT] + [HTTP] * 20
    chunk = _chunk(lines)
    assert aws_fast.PATH.choose(chunk, len(lines)) is aws_fast.HTTP
    _, kept, declined = aws_fast.PATH.run(chunk, len(lines))
    assert (len(kept), declined.tolist()) == (20, [0, 1])
    assert _agree(lines).events.height == 22


# ---------------------------------------------------------------------- agreement on a corpus


_TIMES = [
    "02/Jan/2024:03:04:05 +0000",
    "29/Feb/2024:23:59:59 +1400",
    "02/Jan/2024:03:04:05 -0530",
    "29/Feb/2023:00:00:00 +0000",
    "02/Jan/2024:24:00:00 +0000",
    "02/Jan/2024:03:04:05 +2400",
    "02/Jan/2024:03:04:05 +0060",
    "02/Jan/2024:03:04:05",
    "02/Jan/0999:03:04:05 +0000",
    "01/Jan/1970:00:30:00 +0100",
    "2024-01-02T03:04:05Z",
    "",
]
_PATHS = ["/pets/7", "/a?apikey=k&x=1", "$default", "/caf\xe9", "/t\tab", "/q\x01x", "-", "/%20"]
_IDS = ["c6af9ac6-7b61-11e6-9a41-93e8deadbeef", 'r"1', "caf\xe9", "r\x01", "r\t1"]


def _line(rng: random.Random, preset: str, gap: str) -> str:
    """One line of a deliberately messy API Gateway CLF log, most in ``preset`` ("rest": with
    the extended request id; "http": a route key with its method) with ``gap`` between the
    time's ``]`` and the request line's ``"``."""
    if rng.random() < 0.02:
        return rng.choice(["", "START RequestId: 1 Version: $LATEST", "some other text"])
    method = rng.choice(["GET", "POST", "get", "M-SEARCH", "-", "G_T"])
    target = rng.choice(_PATHS)
    variant = rng.choice([preset, "rest", "rest-no-ext", "http", "http-default"])
    if variant == "http":
        target = f"{rng.choice([method.upper(), 'ANY', 'Get', 'PO_ST', ''])} {target}"
    elif variant == "http-default":
        target = "$default"
    proto = rng.choice(["HTTP/1.1", "HTTP/2.0", "HTTP/9", "http/1.1"])
    request = rng.choice([f"{method} {target} {proto}", "-", f"{method} {target}"])
    ip = rng.choice(["203.0.113.5", "2001:db8::5", "caf\xe9", "1.2.3.4\x0b"])
    caller = rng.choice(["-", "AIDACALLER", "", "caf\xe9"])
    user = rng.choice(["-", "arn:aws:iam::123456789012:user/bob", "al\x01ice", 'x"y', "caf\xe9"])
    status = rng.choice(["200", "0", "-", "404", "99", "1000", "abc", "0200", "-1"])
    length = rng.choice(["120", "0", "-", "9007199254740991", "9007199254740992", "4.5", "007"])
    ids = rng.choice(_IDS)
    if variant == "rest":
        ids += rng.choice([" XyZ1abCDoAMFq8w=", "", " a b", ' "q"', " \t", "  x", " caf\xe9"])
    time = f"[{rng.choice(_TIMES)}]{rng.choice([gap, ' ', ''])}"
    line = f'{ip} {caller} {user} {time}"{request}" {status} {length} {ids}'
    return mangle(rng, line, lambda x: x + rng.choice([" ", " \t", " x"]))


@pytest.mark.parametrize(
    ("preset", "gap", "seed"), [("rest", " ", 5), ("http", " ", 6), ("rest", "", 7)]
)
def test_both_paths_agree_on_a_messy_corpus(preset: str, gap: str, seed: int) -> None:
    """20,000 lines, most in the template of ``preset`` and ``gap`` (the console's REST
    preset: no blank), each field odd one time in seven or so, in chunks of 500: each chunk's
    parse is the regex path's.

    Most lines hold an oddity, so the kernel declines most of each chunk, which the regex path
    then reads whole: each chunk's kept lines are also parsed with every third of the others,
    a chunk whose parse merges the kernel's events with the regex path's. Sixteen lines choose
    a chunk's template: their oddities may let the other template keep more of them (a block
    read with the other template is only compared whole)."""
    rng = Messy(seed)
    lines = [_line(rng, preset, gap) for _ in range(20_000)]
    programs = {
        ("rest", " "): aws_fast.REST,
        ("http", " "): aws_fast.HTTP,
        ("rest", ""): aws_fast.REST_NO_BLANK,
    }
    program = programs[preset, gap]
    events = kept = chosen = 0
    for start in range(0, len(lines), 500):
        block = lines[start : start + 500]
        block_events, block_kept = agree_through_kernel(AwsApiGatewayClf(), aws_fast.PATH, block)
        events += block_events
        if aws_fast.PATH.choose(_chunk(block), len(block)) is program:
            chosen += 1
            kept += block_kept
    # The templates must carry a good share of the corpus (its lines without an oddity).
    assert 5_000 < kept < events < len(lines) and chosen >= 38
