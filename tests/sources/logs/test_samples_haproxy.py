"""The real HAProxy sample (tstack/lnav ``test/logfile_haproxy.0``) through the syslog envelope.

Counts worked out by reading the file (``grep``/``awk``, not the parser): 17 lines; 3 are
``Proxy ... started.``, 1 is an ``SSL handshake failure``; the other 13 are httplog requests
(every one ends with the closing quote of the request). Backends: ``bk_admin`` 2 lines,
``bk_ktest_kt`` 6, ``bk_ktest_sonst`` 5. The ``Ta`` timers sum to
1487+62+38+328+1039+2707+2442+236+1+1+1+1+1 = 8344 ms.
"""

from __future__ import annotations

import datetime as dt

import pytest

from apislo.sources.logs.base import ParseOptions
from apislo.sources.logs.envelopes import detect_envelope, strip_envelope
from apislo.sources.logs.haproxy import HaproxyHttp
from tests.sources.logs import as_strings

pytestmark = pytest.mark.samples

UTC = dt.UTC


@pytest.fixture
def parsed(samples_dir):
    raw = (samples_dir / "haproxy-httplog-lnav.log").read_bytes()
    assert detect_envelope(raw.decode().splitlines()) == "syslog"
    inner = strip_envelope("syslog", raw)
    return HaproxyHttp(ParseOptions(tz="Europe/Berlin")).parse(inner)


def test_counts(parsed):
    assert parsed.events.height == 13
    assert parsed.rejects.height == 4
    assert parsed.rejects["line_no"].to_list() == [0, 1, 2, 13]
    assert set(parsed.rejects["reason"]) == {"not_a_request"}


def test_first_request(parsed):
    row = parsed.events.row(0, named=True)
    # 25/Feb/2019:16:19:48.143 in Berlin (CET, UTC+1 in February) is 15:19:48.143 UTC.
    assert row["ts"] == dt.datetime(2019, 2, 25, 15, 19, 48, 143000, tzinfo=UTC)
    assert row["latency_s"] == 1.487
    assert row["upstream_latency_s"] == 1.457
    assert row["api"] == "bk_admin"
    assert row["status"] == 200
    assert row["bytes_out"] == 11394
    assert row["method"] == "GET"
    assert row["path"] == (
        "/admin/colt/administration?survey=130&input_stats=1&ajax=1&&ajax=1&refresh=1&ihandle=1"
    )
    assert row["attempts"] == 1
    assert row["termination"] is None  # "----": a normal end


def test_long_request_and_last_line(parsed):
    slow = parsed.events.row(5, named=True)  # 0/0/1/43/2707, accepted 16:20:06.321 local
    assert slow["ts"] == dt.datetime(2019, 2, 25, 15, 20, 6, 321000, tzinfo=UTC)
    assert (slow["latency_s"], slow["upstream_latency_s"]) == (2.707, 0.043)
    assert slow["api"] == "bk_ktest_kt"
    last = parsed.events.row(12, named=True)  # 0/0/1/0/1, core.css
    assert last["ts"] == dt.datetime(2019, 2, 25, 15, 20, 12, 331000, tzinfo=UTC)
    assert (last["latency_s"], last["upstream_latency_s"]) == (0.001, 0.0)
    assert last["path"] == "/media/core/core.css?1550939640"
    assert last["api"] == "bk_ktest_sonst"


def test_totals(parsed):
    assert parsed.events["latency_s"].sum() == pytest.approx(8.344, abs=1e-9)
    counts = dict(parsed.events["api"].value_counts().iter_rows())
    assert counts == {"bk_admin": 2, "bk_ktest_kt": 6, "bk_ktest_sonst": 5}


def test_same_result_without_stripping(samples_dir):
    """httplog lines keep their syslog prefix when no envelope is stripped: same events."""
    raw = (samples_dir / "haproxy-httplog-lnav.log").read_bytes()
    fmt = HaproxyHttp(ParseOptions(tz="Europe/Berlin"))
    direct = fmt.parse(raw)
    stripped = fmt.parse(strip_envelope("syslog", raw)).events
    assert as_strings(direct.events).equals(as_strings(stripped))
    assert direct.rejects["line_no"].to_list() == [0, 1, 2, 13]
