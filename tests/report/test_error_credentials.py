"""What a failed report quotes from its kernel (an exception's text, a line of its worker's log, a
cell's output) goes into its error, the history, the index and the failed notebook: a credential
there is redacted, as one in a parameter is refused. Real kernels, real apislo code.

Found on 2026-11-30: ``APISLO_PROMETHEUS_URL`` takes a ``;jsessionid=`` in its path, which a
parameter may not hold, and the Prometheus client quotes its URL when the server cannot be
reached: the session id reached the history, the index and the failed notebook (six times). A
line of the worker's log, quoted when the worker dies, kept a URL's password too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import nbformat
import pytest

from apislo.errors import ReportRunError
from apislo.report import run_report
from apislo.schedule.run import run_due
from apislo.sources.prometheus.local import free_port
from tests.report.conftest import NOTEBOOKS


def test_a_session_id_in_the_prometheus_url_reaches_no_file_of_a_failed_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()  # (nothing listens there: the server is unreachable)
    monkeypatch.setenv("APISLO_PROMETHEUS_URL", f"http://127.0.0.1:{port}/p;jsessionid=S3CRETjs")
    monkeypatch.setenv("APISLO_PROMETHEUS_RETRIES", "0")
    monkeypatch.setenv("APISLO_CACHE_DIR", str(tmp_path / "cache"))
    sched, reports = tmp_path / "scheduled", tmp_path / "reports"
    sched.mkdir()
    (sched / "leak.yaml").write_text(
        f"name: leak\nnotebook: {NOTEBOOKS / 'unreachable.ipynb'}\ncron: '0 6 * * *'\n"
        "period: none\noutput: leak/report.html\n"
    )
    (record,) = run_due(sched, reports, datetime(2026, 11, 30, 7, tzinfo=UTC))
    assert record.status == "failed"
    # source cells: 0 parameters, 1 the import, 2 the query
    assert record.error.startswith(
        f"{NOTEBOOKS / 'unreachable.ipynb'}: cell 2 failed with PrometheusUnavailableError: "
        f"Prometheus at http://127.0.0.1:{port}/p;jsessionid=REDACTED is unreachable ("
    )
    files = sorted(p.relative_to(reports) for p in reports.rglob("*") if p.is_file())
    assert [str(p) for p in files] == [
        ".locks/leak.lock",
        "history.jsonl",
        "index.html",
        "leak/report.failed.ipynb",
    ]
    assert [str(p) for p in files if b"S3CRETjs" in (reports / p).read_bytes()] == []
    failed = nbformat.read(reports / "leak" / "report.failed.ipynb", as_version=4)
    (error,) = [o for c in failed.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert "jsessionid=REDACTED" in error.evalue


def test_a_password_in_a_dead_workers_log_line_is_redacted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker killed by its notebook's cell, after a line quoting the URL in the
    environment, its password holding a ``/``, reached the worker's log: the error quotes that
    line, without the password."""
    monkeypatch.setenv("APISLO_PROMETHEUS_URL", "https://ann:pa/ss@prom.example")
    with pytest.raises(ReportRunError) as info:
        run_report(NOTEBOOKS / "worker_killed.ipynb", None, tmp_path / "r.html")
    assert info.value.evalue == (
        "the report's worker was killed by signal 9 (SIGKILL) (ConnectionError: cannot reach "
        'https://REDACTED@prom.example) (in `url = os.environ["APISLO_PROMETHEUS_URL"]`)'
    )
    failed = tmp_path / "r.failed.ipynb"
    assert "pa/ss" not in failed.read_text()


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("at https://ann:pa/ss@h/x now", "at https://REDACTED@h/x now"),  # a / in the password
        ("//to/ken@h:9090/", "//REDACTED@h:9090/"),  # a token as the user, scheme-relative
        ("see https://mastodon.social/@ann", "see https://mastodon.social/@ann"),  # a path's @
        ("GET /p;jsessionid=abc?x=1 HTTP/1.1", "GET /p;jsessionid=REDACTED HTTP/1.1"),  # to a blank
        ("https://h/?q=1&access_token=abc#f", "https://h/?q=1&access_token=REDACTED#f"),
        ("failed: token=abc, retrying", "failed: token=REDACTED, retrying"),
        ("a\nb https://u:p@h\n  c", "a\nb https://REDACTED@h\n  c"),  # line breaks stay
        ("as http(s)://USER:PASSWORD@HOST", "as http(s)://USER:PASSWORD@HOST"),  # no scheme
        # still redacted beside what is left alone below: a run id by the name before it, a
        # matcher's value by its shape, a bare {...} and free text by their names
        ("token=20261130T024924Z-a1b2c3", "token=REDACTED"),
        ('up{auth="Bearer abcdefgh12345"}', 'up{auth="Bearer REDACTED"}'),
        ('up{auth="eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"}', 'up{auth="REDACTED"}'),
        ('{password="hunter2"}', "{password=REDACTED}"),
        ('failed: auth="basic"', "failed: auth=REDACTED"),
        # a run id's shape after a scheme, or inside a longer token, is a credential's (until
        # 2026-11-30 set aside: its rest, or the token's other parts, were kept)
        ("Bearer 20261130T024924Z-a1b2c3.s3cret", "Bearer REDACTED"),
        ("basic 20261130T024924Z-a1b2c3", "basic REDACTED"),
        ("id AbCd20261130T024924Z-a1b2c3-Ef9", "id REDACTED"),
        # private-use characters shaped like a mark of the redaction's own (until 2026-11-30
        # an IndexError, and the failed run's notebook was not kept)
        ("icon \ue0000\ue001 token=abc", "icon \ue0000\ue001 token=REDACTED"),
        # read as shown, without the ANSI colours of a traceback, and given back without them
        # (until 2026-11-30 an escape was read as part of the word after it: these were kept)
        ('token=\x1b[33m"s3cret"\x1b[39m', "token=REDACTED"),
        ("\x1b[31mhttps://ann:pw@h/x\x1b[39m", "https://REDACTED@h/x"),
    ],
)
def test_what_a_parameter_may_not_hold_is_redacted(text: str, redacted: str) -> None:
    from apislo.report.params import redact_credentials

    assert redact_credentials([text]) == [redacted]


@pytest.mark.parametrize(
    "text",
    [
        "the run 20261130T024924Z-a1b2c3 of slo-daily failed",  # a report's run id
        "cannot read data/events/20261130T024924-1a2b3c4d-0.parquet",  # an ingest's
        "day=2026-11-30/part-20261130T024924-1a2b3c4d-0-0.parquet",  # with its part numbers
        "Bearer tokens of run 20261130T024924Z-a1b2c3 expired",
        "Prometheus error 400 bad_data: parse error (query "
        '\'sum(rate(http_requests_total{job="api", auth="basic"}[5m]))\' at 2026-11-30)',
        'sum by (code) (rate(http_requests_total{auth=~"basic|digest",token_type!="x"}[5m]))',
        # a traceback's coloured error name (until 2026-11-30 "31m" made it a token: the
        # failed notebook read "\x1b[REDACTED\x1b[39m: Prometheus at ...")
        "\x1b[31mPrometheusUnavailableError\x1b[39m: Prometheus at http://127.0.0.1:9/p is down",
        "\x1b[31mPrometheusQueryError\x1b[39m                      Traceback (most recent call",
    ],
)
def test_run_ids_and_promql_label_matchers_are_left_alone(text: str) -> None:
    """Found on 2026-11-30: apislo's own run ids are tokens by their shape (20 or more
    base64url characters mixing upper-case letters, lower-case letters and digits), and a
    PromQL label named like a credential (``auth``) looked like ``auth=<secret>``: a failed
    run's error read ``the run REDACTED ...`` and ``{job="api", auth=REDACTED}``."""
    from apislo.report.params import redact_credentials

    assert redact_credentials([text]) == [text]


def test_a_failed_notebooks_coloured_traceback_keeps_its_error_name() -> None:
    """Found on 2026-11-30: a job failing on an unreachable Prometheus kept a failed notebook
    whose traceback named its error ``[REDACTED`` twice (its header and last line), the ANSI
    colour before the name read as part of a token. A traceback entry holding a credential
    is redacted as shown, without its colours; the others keep theirs."""
    from apislo.report.runner import _redact_outputs

    name = "\x1b[31mPrometheusUnavailableError\x1b[39m"
    header = f"{name}                Traceback (most recent call last)"
    code = '\x1b[32m----> 1\x1b[39m connect(\x1b[33m"https://ann:s3cret@prom.example"\x1b[39m)'
    last = f"{name}: Prometheus at http://127.0.0.1:9/p is unreachable"
    error = nbformat.v4.new_output(
        "error", ename="PrometheusUnavailableError", evalue="down", traceback=[header, code, last]
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("connect()", outputs=[error])])
    _redact_outputs(nb)
    assert nb.cells[0].outputs[0].traceback == [
        header,
        '----> 1 connect("https://REDACTED@prom.example")',
        last,
    ]
