"""Provenance of a report: what ran, on which data, with which parameters (never secrets).

The runner knows the notebook, parameters, run id, apislo version and duration; the notebook states
the data window, sources and spec files with :func:`record_provenance`. :func:`provenance_html`
renders both as the box at the top of every report.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from apislo.report.glue import record
from apislo.report.params import URL_PATTERN
from apislo.sources.prometheus.settings import check_url_userinfo
from apislo.text import is_secret_key

__all__ = ["PROVENANCE_KEY", "Provenance", "provenance_html", "record_provenance", "redact_url"]

#: The :func:`~apislo.report.glue.record` name under which a notebook states its provenance.
PROVENANCE_KEY = "apislo.provenance"
#: A path parameter of a URL (``;jsessionid=abc`` in ``/p;jsessionid=abc/q``): group 1 is its
#: name, and its value runs to the next ``;`` or ``/``.
_PATH_PARAMETER = re.compile(r";([^;/=]*)=[^;/]*")
#: A URL without a host (``file:///data``): its ``//`` followed by its path, query, fragment or
#: nothing.
_NO_HOST = re.compile(r"[^/]*//(?:[/?#]|\Z)")


def redact_url(text: str) -> str:
    """``text`` (a source: a dataset path, a URL, or a label holding one such as ``prometheus
    https://host/prom``) with each URL in it shown without user, password, query or fragment
    (they may hold tokens), scheme-relative ones (``//bob:s3cret@host``) too, and with the value
    of each path parameter named like a credential (``;jsessionid=``, see
    :func:`~apislo.text.is_secret_key`) and each token in its path (a JSON Web Token, or a
    run of 20 or more base64url characters mixing upper-case letters, lower-case letters and
    digits: :mod:`apislo.sources.logs.tokens`, as the quarantine finds them) written
    ``REDACTED``; the rest of the text as it is. Until 2026-11-30 a token in a path was shown.
    Until 2026-11-30 a text holding more than its URL (the label
    :func:`~apislo.report.views.data_source` gives) was kept whole, and a URL's path parameters
    always: a session id in ``$APISLO_PROMETHEUS_URL`` reached a report's provenance box.

    >>> redact_url("https://bob:s3cret@prom.example:9090/api?token=x")
    'https://prom.example:9090/api'
    >>> redact_url("prometheus http://prom.example/p;jsessionid=abc")
    'prometheus http://prom.example/p;jsessionid=REDACTED'
    >>> redact_url("https://prom.example/t/Ab3dEf6hIj9kLm2nOp5q/api")
    'https://prom.example/t/REDACTED/api'

    Raises:
        ConfigError: a URL has an ``@`` after its host, where a ``/``, ``?`` or ``#`` in a
            password ends the host part, or is no URL (a host in ``[ ]`` that is no IP address,
            a port that is no number: see
            :func:`~apislo.sources.prometheus.settings.check_url_userinfo`).
    """
    return URL_PATTERN.sub(lambda found: _redacted(found.group()), text)


def _redacted(url: str) -> str:
    """One URL as :func:`redact_url` shows it; one without a host (``file:///data``) as it is.
    The URL is checked (:func:`~apislo.sources.prometheus.settings.check_url_userinfo`) before
    ``urlsplit`` reads it: a host that ``urlsplit`` refuses (``[https://prom.example]`` in a
    text, its ``]`` taken into the URL) is then a ``ConfigError``, where until 2026-11-30 a
    ``ValueError`` traceback stopped the notebook's cell."""
    if _NO_HOST.match(url):
        return url
    check_url_userinfo(url, "a source URL")
    import polars as pl  # (views and notebooks have it loaded)

    from apislo.sources.logs.tokens import redact_tokens

    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    path = _PATH_PARAMETER.sub(_redacted_parameter, parts.path)
    path = redact_tokens(pl.Series([path], dtype=pl.String))[0]
    return urlunsplit((parts.scheme, netloc, path, "", ""))


def _redacted_parameter(found: re.Match[str]) -> str:
    """A path parameter (``;name=value``) with its value ``REDACTED`` when its name is a
    credential's, else as it is."""
    name = found.group(1)
    return f";{name}=REDACTED" if is_secret_key(name) else found.group()


def record_provenance(
    window: tuple[Any, Any] | None = None,
    sources: Iterable[str] = (),
    specs: Iterable[str] = (),
) -> None:
    """State, from a notebook, the data window, sources and spec files the report shows.

    Args:
        window: ``(start, end)`` of the data shown (timestamps or strings, UTC).
        sources: dataset paths or Prometheus URLs (credentials are removed).
        specs: SLO spec files used.

    Raises:
        ConfigError: a source is a URL with an ``@`` after its host (see :func:`redact_url`).
    """
    record(
        PROVENANCE_KEY,
        {
            "window": [_iso(window[0]), _iso(window[1])] if window else None,
            "sources": [redact_url(str(s)) for s in sources],
            "specs": [str(s) for s in specs],
        },
    )


def _iso(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


@dataclass
class Provenance:
    """Everything a report states about how it was made.

    Attributes:
        notebook: source notebook path.
        run_id: unique id of this run (also in the history and file names of failed runs).
        apislo_version: version of apislo that ran it.
        parameters: parameters injected (secret-looking names are refused before this).
        started: run start, ISO 8601 UTC.
        duration_s: wall time of the notebook run, seconds.
        kernel: Jupyter kernel name.
        window: ``[start, end]`` of the data, as stated by the notebook, or ``None``.
        sources: data sources as stated by the notebook.
        specs: spec files as stated by the notebook.
    """

    notebook: str
    run_id: str
    apislo_version: str
    parameters: dict[str, Any]
    started: str
    duration_s: float
    kernel: str
    window: list[str] | None = None
    sources: list[str] = field(default_factory=list)
    specs: list[str] = field(default_factory=list)

    def with_recorded(self, recorded: Mapping[str, Any] | None) -> Provenance:
        """This provenance completed with what the notebook recorded via record_provenance."""
        if not recorded:
            return self
        data = asdict(self)
        data.update({k: recorded[k] for k in ("window", "sources", "specs") if recorded.get(k)})
        return Provenance(**data)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-serialisable) for notebook metadata and the run history."""
        return asdict(self)


def provenance_html(prov: Provenance) -> str:
    """The provenance box of a report, every value HTML-escaped."""
    e = html.escape
    params = ", ".join(f"{e(str(k))}={e(repr(v))}" for k, v in prov.parameters.items()) or "none"
    window = " to ".join(e(w) for w in prov.window) if prov.window else "not stated"
    rows = [
        ("Notebook", e(prov.notebook)),
        ("Data window (UTC)", window),
        ("Sources", e(", ".join(prov.sources)) or "not stated"),
        ("Spec files", e(", ".join(prov.specs)) or "none"),
        ("Parameters", params),
        ("Run", f"{e(prov.run_id)}, started {e(prov.started)}, took {prov.duration_s:.1f} s"),
        ("apislo", f"{e(prov.apislo_version)} (kernel {e(prov.kernel)})"),
    ]
    body = "\n".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return (
        '<section class="apislo-provenance"><h2>Provenance</h2>'
        f'<table class="apislo-provenance-table">\n{body}\n</table></section>'
    )
