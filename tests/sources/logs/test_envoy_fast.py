"""The C kernel path of the Envoy/Istio text parser: which template a chunk gets, what the kernel
declines, and agreement with the regex path line for line on a messy corpus of both templates.

The hand-worked values of each field are in ``test_envoy_text.py``, whose default and Istio lines
the kernel keeps (checked here); the agreement test uses the regex path as the second method.
"""

from __future__ import annotations

import random

import polars as pl
import pytest

from apislo.sources.logs import envoy_fast
from apislo.sources.logs.base import Parsed
from apislo.sources.logs.envoy_text import EnvoyText
from apislo.sources.logs.nginx_fast import scan
from tests.sources.logs import Messy, agree, agree_through_kernel, mangle
from tests.sources.logs.test_envoy_text import (
    CLIENT_LEFT,
    ENVOY_DEFAULT,
    ISTIO,
    ISTIO_16,
    UPSTREAM_FAILURE,
)


def _kept(line: str) -> tuple[int, int]:
    """Whether the Istio template, then the default one, keeps ``line``."""
    chunk = (line + "\n").encode()
    istio = scan(envoy_fast.ISTIO, chunk, 1).kept
    default = scan(envoy_fast.DEFAULT, chunk, 1).kept
    return istio, default


def test_each_template_keeps_its_own_lines() -> None:
    """The hand-worked lines of the regex tests go through the kernel: each template keeps the
    lines written in it and only those. Istio 1.6's quoted fields after the flags, and a user
    agent holding quotes, are left to the regex."""
    assert _kept(ENVOY_DEFAULT) == (0, 1)
    assert _kept(ISTIO) == (1, 0)
    assert _kept(UPSTREAM_FAILURE) == (1, 0)
    assert _kept(ISTIO_16) == (0, 0)
    assert _kept(CLIENT_LEFT) == (0, 0)


@pytest.mark.parametrize(
    ("cluster", "api"),
    [
        ("outbound|8000||httpbin.foo.svc.cluster.local", "httpbin"),  # a Kubernetes service
        ("outbound|9080|v1|reviews.default.svc", "reviews"),
        ("inbound|8000|http|httpbin.foo.svc.cluster.local", "httpbin"),
        ("outbound|80||svc.ns.svc.cluster.local", "svc"),
        ("outbound|443||api.github.com", "api.github.com"),  # external: the whole host
        ("outbound|443||api.stripe.com", "api.stripe.com"),
        ("outbound|80||httpbin.org", "httpbin.org"),
        ("outbound|80||svc.example.com", "svc.example.com"),  # "svc" first is no .svc label
        ("outbound|80||a.svcs.example.com", "a.svcs.example.com"),
        ("outbound|80||reviews", "reviews"),
        ("inbound|9080||", None),  # Istio's inbound cluster names no service
        ("my_cluster", "my_cluster"),  # an Envoy cluster: its name
        (None, None),
    ],
)
def test_cluster_service(cluster: str | None, api: str | None) -> None:
    """Only a Kubernetes service's host (one with a ``svc`` label) is cut to its first label;
    another host is the API whole, so external APIs do not merge (``api.github.com`` and
    ``api.stripe.com`` are not both ``api``)."""
    frame = pl.DataFrame({"cluster": [cluster]}, schema={"cluster": pl.String})
    assert frame.select(envoy_fast.cluster_service(pl.col("cluster"))).item() == api


def test_external_clusters_keep_their_host_in_both_paths() -> None:
    """Istio lines to external hosts (a ServiceEntry's cluster) through the kernel: each API is
    its host, as in the regex path."""
    lines = [
        _with(ISTIO, "outbound|8000||httpbin.foo.svc.cluster.local", cluster)
        for cluster in ("outbound|443||api.github.com", "outbound|443||api.stripe.com")
    ]
    _, kept, _ = envoy_fast.PATH.run("".join(f"{x}\n" for x in lines).encode(), 2)
    assert len(kept) == 2
    assert _agree(lines).events["api"].to_list() == ["api.github.com", "api.stripe.com"]


def test_a_request_without_a_path_has_a_null_path_in_both_paths() -> None:
    """A CONNECT has no `:path`, which Envoy writes `-`: the path was the text `-` (a route `-`
    of API `unknown` in every per-route frame), unlike envoy-json's."""
    line = _with(ENVOY_DEFAULT, "POST /api/v1/locations", "CONNECT -")
    _, kept, _ = envoy_fast.PATH.run(f"{line}\n".encode(), 1)
    assert len(kept) == 1
    assert _agree([line]).events.select("method", "path").rows() == [("CONNECT", None)]


def _with(line: str, old: str, new: str) -> str:
    assert old in line
    return line.replace(old, new, 1)


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        # kept: an offset instead of Z, no fraction, status 0 (the client left: a null status)
        (_with(ENVOY_DEFAULT, "20:17:00.310Z", "22:17:00.310+02:00"), True),
        (_with(ENVOY_DEFAULT, "20:17:00.310Z", "20:17:00Z"), True),
        (_with(ENVOY_DEFAULT, '2" 204 -', '2" 0 -'), True),
        # declined: what the regex's conversion rejects or reads otherwise
        (_with(ENVOY_DEFAULT, '2" 204 -', '2" 99 -'), False),  # status outside 100-999
        (_with(ENVOY_DEFAULT, '2" 204 -', '2" 1000 -'), False),
        (_with(ENVOY_DEFAULT, "POST /api", "M-SEARCH /api"), False),  # not [A-Za-z]+
        (_with(ENVOY_DEFAULT, "POST /api", "post /api"), False),  # upper-cased by the regex path
        (_with(ENVOY_DEFAULT, "/api/v1/locations", "/api/v1\tlocations"), False),  # \S+ stops
        (_with(ENVOY_DEFAULT, " 154 0 ", " 9007199254740992 0 "), False),  # 2**53
        (_with(ENVOY_DEFAULT, " 154 0 ", "  0 "), False),  # an empty \S+
        (_with(ENVOY_DEFAULT, " 154 0 ", " 154\t0 "), False),
        (_with(ENVOY_DEFAULT, ".310Z", ".3104567Z"), False),  # past microseconds
        (_with(ENVOY_DEFAULT, '"nsq2http"', '"nsq"2http"'), False),  # a quote in the agent
        (ENVOY_DEFAULT + " ", False),  # \s*$ takes it; the template does not
    ],
)
def test_what_the_kernel_keeps_and_declines(line: str, kept: bool) -> None:
    """Declined or kept, the parse is the regex path's, field for field."""
    _, lines, declined = envoy_fast.PATH.run((line + "\n").encode(), 1)
    assert (len(lines), len(declined)) == ((1, 0) if kept else (0, 1))
    _agree([line])


def test_the_template_of_a_chunk_is_the_one_its_first_lines_are_in() -> None:
    """A chunk of Istio lines after one default line is read with Istio's template (sixteen
    lines decide), and the default line then goes to the regex."""
    lines = [ENVOY_DEFAULT] + [ISTIO] * 20
    chunk = "".join(line + "\n" for line in lines).encode()
    assert envoy_fast.PATH.choose(chunk, len(lines)) is envoy_fast.ISTIO
    assert envoy_fast.PATH.choose(chunk[: len(ENVOY_DEFAULT) + 1], 1) is envoy_fast.DEFAULT
    parsed = _agree(lines)
    assert parsed.events.height == 21


# ---------------------------------------------------------------------- agreement on a corpus


_TIMES = [
    "2024-06-02T13:24:57.930Z",
    "2024-06-02T13:24:57Z",
    "2024-06-02T15:24:57.930+02:00",
    "2024-02-29T23:59:59.999999Z",
    "1970-01-01T00:30:00.000+01:00",  # 1969 in UTC: off the calendar
    "2023-02-29T00:00:00.000Z",
    "2024-06-02T24:00:00.000Z",
    "2024-06-02T13:24:60.000Z",
    "2024-06-02T13:24:57.1234567Z",
    "2024-06-02 13:24:57.930Z",
    "2024-06-02T13:24:57.930z",
    "2024-06-02T13:24:57.930+0200",
    "",
]
_PATHS = ["/v1/orders/7", "/a?x=1&apikey=k", "/caf\xe9", "/t\tab", "/q\x01x", "/%20", "/a b"]
_NUMBERS = ["154", "0", "-", "9007199254740991", "9007199254740992", "12.5", "007", "1e3", "x"]
_CLUSTERS = [
    "outbound|8000||httpbin.foo.svc.cluster.local",
    "inbound|8000|http|x.y",
    "-",
    "plain_cluster",
    "outbound|80||",
    "caf\xe9",
    "outbound|443||api.github.com",
    "outbound|9080|v1|reviews.default.svc",
]


def _line(rng: random.Random, variant: str) -> str:
    """One line of a deliberately messy Envoy (``variant`` "default") or Istio log."""
    if rng.random() < 0.02:
        return rng.choice(["", "garbage", "[2024-06-02 13:35:27.054][1][info][main] start"])
    method = rng.choice(["GET", "POST", "get", "M-SEARCH", "PROPFIND", "-"])
    proto = rng.choice(["HTTP/1.1", "HTTP/2", "HTTP/9", "HTTP/1.1 x"])
    request = rng.choice([f"{method} {rng.choice(_PATHS)} {proto}", "- - -", f"{method} /x"])
    code = rng.choice(["200", "0", "503", "99", "1000", "-", "abc", "0200", "-1"])
    flags = rng.choice(["-", "UF,URX", "DC", "", "U\tF"])
    numbers = " ".join(rng.choice(_NUMBERS) if rng.random() < 0.1 else "154" for _ in range(2))
    duration = rng.choice(["226", "43", "0", "-", "22x", "1.5", "123456789012345678"])
    upstream = rng.choice(["100", "43", "-", "0"])
    agent = rng.choice(["curl/8", 'Mozilla/5.0 "quoted" (X11)', "caf\xe9", "-", "", 'a" "b'])
    authority = rng.choice(["api.example.com", "-", "", " spaced ", "h\x01", "caf\xe9"])
    quoted = f'"10.0.35.28" "{agent}" "cc21d9b0" "{authority}" "10.0.2.1:80"'
    head = f'[{rng.choice(_TIMES)}] "{request}" {code} {flags}'
    variant = rng.choice([variant, "istio", "default", "istio16", "istio-no-tail"])
    middle = {"istio": ' via_upstream - "-"', "istio16": ' "-" "-"'}.get(variant, "")
    if variant == "istio-no-tail":
        middle = ' via_upstream - "-"'
    tail = ""
    if variant in ("istio", "istio16"):
        tail = f" {rng.choice(_CLUSTERS)} 10.44.1.23:37652 10.0.45.184:8000 10.44.1.23:4 - default"
    line = f"{head}{middle} {numbers} {duration} {upstream} {quoted}{tail}"
    return mangle(rng, line, lambda x: x + " \t")


def _agree(lines: list[str]) -> Parsed:
    return agree(EnvoyText(), lines)


@pytest.mark.parametrize("variant", ["default", "istio"])
def test_both_paths_agree_on_a_messy_corpus(variant: str) -> None:
    """20,000 lines, most in ``variant``'s template, each field odd one time in seven or so,
    in chunks of 500, each chunk also thinned to its kept lines and a third of the others
    (:func:`agree_through_kernel`)."""
    rng = Messy(7 if variant == "istio" else 8)
    lines = [_line(rng, variant) for _ in range(20_000)]
    program = envoy_fast.ISTIO if variant == "istio" else envoy_fast.DEFAULT
    events = kept = 0
    for start in range(0, len(lines), 500):
        block = lines[start : start + 500]
        block_chunk = "".join(line + "\n" for line in block).encode()
        assert envoy_fast.PATH.choose(block_chunk, len(block)) is program
        block_events, block_kept = agree_through_kernel(EnvoyText(), envoy_fast.PATH, block)
        events, kept = events + block_events, kept + block_kept
    # The template must carry a good share of the corpus (its lines without an oddity).
    assert 5_000 < kept < events < len(lines)


def test_a_chunk_the_kernel_mostly_declines_is_the_regex_paths() -> None:
    """Ten Envoy lines among thirty of Envoy's own log: the kernel keeps 10 of 40, so the
    regex path reads the whole chunk (picking 30 lines one by one costs more); the parse is
    its parse, 10 events and 30 rejects."""
    own = "[2024-06-02 13:35:27.054][1][info][main] starting main dispatch loop"
    lines = [ENVOY_DEFAULT if i % 4 == 0 else own for i in range(40)]
    _, kept, declined = envoy_fast.PATH.run("".join(f"{x}\n" for x in lines).encode(), 40)
    assert (len(kept), len(declined)) == (10, 30)
    parsed = _agree(lines)
    assert (parsed.events.height, parsed.rejects.height) == (10, 30)
