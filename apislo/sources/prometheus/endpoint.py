"""The one request helper: retries with backoff and jitter, and Prometheus error bodies.

Retried: connection errors, timeouts, bodies cut off in transit (a parse failure of a 200 answer),
HTTP 429 and 5xx (honouring a valid ``Retry-After``, capped). Not retried: other 4xx answers, which
are the query's fault, a whole 200 answer that is not Prometheus's (an HTML login page), a TLS
certificate that fails verification (not trusted, expired, for another host), an ``https://`` URL
whose server does not answer in TLS (a plain-HTTP port), a server that shares no TLS version with
this client, and a server that refuses the handshake for want of a client certificate it trusts
(mutual TLS) or, with the same alert under TLS 1.2, for want of a cipher suite in common (each a
:class:`~apislo.errors.ConfigError` saying so). A
``{"status":"error","errorType":...,"error":...}`` body (with any HTTP status, 200 included)
becomes a :class:`~apislo.errors.PrometheusQueryError`; a server that stays unreachable, or
redirects in a loop (not retried), becomes one :class:`~apislo.errors.PrometheusUnavailableError`
naming its URL.
"""

from __future__ import annotations

import json
import math
import random
import re
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests

from apislo.errors import (
    ApisloError,
    ConfigError,
    PrometheusQueryError,
    PrometheusUnavailableError,
)
from apislo.sources.prometheus.settings import (
    check_lone_surrogate,
    check_url_userinfo,
    load_cas,
)
from apislo.sources.prometheus.transport import (
    Transport,
    build_session,
    credentials_digest,
    url_credentials,
)
from apislo.text import SURROGATE_INSTEAD, lone_surrogate

__all__ = ["RUNTIME_INFO", "Endpoint", "QueryContext", "public_url"]

T = TypeVar("T")

#: Where Prometheus (and Thanos Query) tells when its process started; Mimir (404) and
#: VictoriaMetrics (400) document no such endpoint.
RUNTIME_INFO = "/api/v1/status/runtimeinfo"
#: Queries longer than this go as a POST form, so URLs stay under proxies' limits.
_MAX_GET_QUERY = 2000
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
#: RFC 9110 ``delay-seconds``: ``1*DIGIT`` (ASCII digits only).
_DELAY_SECONDS = re.compile(r"[0-9]+")
_TRANSPORT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
#: OpenSSL's reasons for a server that did not answer a TLS handshake in TLS (a plain-HTTP
#: server answers "HTTP/1.1 400"): ``WRONG_VERSION_NUMBER`` (OpenSSL 3.0 and 1.1),
#: ``RECORD_LAYER_FAILURE`` (3.2 on), ``UNKNOWN_PROTOCOL`` (1.0).
_NOT_TLS = frozenset({"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "UNKNOWN_PROTOCOL"})
#: OpenSSL's reason for the alert OpenSSL's servers end a TLS 1.2 handshake with when they want a
#: client certificate (mutual TLS) and get none, and also when they share no cipher suite or key
#: exchange group with the client (which asking again would not mend either): its message says
#: both.
_HANDSHAKE_FAILURE = "SSLV3_ALERT_HANDSHAKE_FAILURE"
#: OpenSSL's reasons for the alert a server that wants a client certificate (mutual TLS) ends the
#: handshake with when it gets none, or one it does not accept: ``BAD_CERTIFICATE`` for both from
#: Go servers (Prometheus); ``CERTIFICATE_REQUIRED`` (TLS 1.3; under TLS 1.2
#: :data:`_HANDSHAKE_FAILURE`), ``UNKNOWN_CA`` and ``CERTIFICATE_EXPIRED`` from OpenSSL's.
_CLIENT_CERT_REFUSED = frozenset(
    {
        "SSLV3_ALERT_BAD_CERTIFICATE",
        "TLSV13_ALERT_CERTIFICATE_REQUIRED",
        _HANDSHAKE_FAILURE,
        "TLSV1_ALERT_UNKNOWN_CA",
        "SSLV3_ALERT_CERTIFICATE_EXPIRED",
    }
)
#: OpenSSL's reasons when the server and this client share no TLS version: the server's alert
#: (``PROTOCOL_VERSION``, a server of TLS 1.1 or older only, which OpenSSL 3 no longer speaks)
#: or this side's refusal of the version the server chose (``UNSUPPORTED_PROTOCOL``).
_NO_COMMON_VERSION = frozenset({"TLSV1_ALERT_PROTOCOL_VERSION", "UNSUPPORTED_PROTOCOL"})
#: What is wrong with a server certificate that fails verification, and what to do (``{ca_file}``:
#: how the transport names that setting).
_UNTRUSTED = ("is not trusted", "give the CA that signed it with {ca_file}")
_OTHER_HOST = (
    "is for another host",
    "put a host name it is for in the URL, or have it reissued for this one",
)
#: The same by OpenSSL's verify code (``X509_V_ERR_*``); any code not here: :data:`_UNTRUSTED`.
_CERT_PROBLEMS = {
    9: ("is not yet valid", "check this machine's clock, or have the server present one valid now"),
    10: ("has expired", "have it renewed on the server (or check this machine's clock)"),
    62: _OTHER_HOST,  # HOSTNAME_MISMATCH
    64: _OTHER_HOST,  # IP_ADDRESS_MISMATCH
}
#: How long :meth:`Endpoint._alert_after_handshake` waits at most for a server's verdict
#: (its alert or its session ticket), seconds (or the transport's ``timeout_s``, if shorter).
_ALERT_WAIT_S = 1.0
#: How often :func:`_await_verdict` looks for the server's session ticket, seconds.
_VERDICT_STEP_S = 0.01


def public_url(url: str) -> str:
    """``url`` without any ``user:password@`` part, for messages and reprs."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


@dataclass(frozen=True)
class QueryContext:
    """What an error should report about the request: the PromQL and its range (ISO 8601)."""

    query: str
    start: str | None = None
    end: str | None = None


def _error_body(response: requests.Response) -> tuple[str, str] | None:
    """``(errorType, error)`` from a Prometheus error body, or ``None`` for any other body."""
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict) and body.get("status") == "error":
        return str(body.get("errorType", "")), str(body.get("error", ""))
    return None


def _error_fields(response: requests.Response) -> tuple[str, str]:
    """``(errorType, error)`` from a Prometheus error body, or a short text of any other body."""
    if (fields := _error_body(response)) is not None:
        return fields
    text = response.text.strip().replace("\n", " ")[:200]
    hint = ""
    if response.status_code == 404:
        hint = " (check the URL's path prefix, e.g. /prometheus)"
    elif response.status_code in (401, 403):
        hint = " (check the bearer token / basic auth settings)"
    return "", f"HTTP {response.status_code} {response.reason or ''}: {text}{hint}".strip()


class Endpoint:
    """One server's API root with a configured session.

    Args:
        url: base URL (``http://host:9090``, ``https://host/prometheus``); a ``user:password@``
            in it is sent as basic auth (when ``transport`` configures no other auth) and never
            shown.
        transport: auth, TLS, headers, timeouts and retries.

    Raises:
        ConfigError: the URL carries credentials and ``transport`` configures auth too, it has
            a query string or fragment, an ``@`` after its host (see
            :func:`~apislo.sources.prometheus.settings.check_url_userinfo`), or a lone surrogate
            (see :func:`~apislo.sources.prometheus.settings.check_lone_surrogate`; one in its
            ``user:password@`` is refused unshown, by :func:`url_credentials`), or no host or
            one that requests cannot parse (``http://:9090``, ``http://a b:9090``).
    """

    def __init__(self, url: str, transport: Transport) -> None:
        check_url_userinfo(url, "the Prometheus URL")
        check_lone_surrogate(public_url(url), "the Prometheus URL")
        if not urlsplit(url).scheme.startswith("http"):
            raise PrometheusUnavailableError(public_url(url), "the URL must start with http(s)://")
        if urlsplit(url).query or urlsplit(url).fragment:  # (a ?token= would reach messages)
            raise ConfigError(
                f"{public_url(url)}: a Prometheus URL takes no query string or fragment; give a "
                f"token by environment variable or file ({transport.named('bearer_token_env')}, "
                f"{transport.named('bearer_token_file')})"
            )
        try:  # (requests refuses it at the first request, a traceback; until 2026-11-29)
            requests.PreparedRequest().prepare_url(public_url(url), None)
        except requests.exceptions.InvalidURL:
            raise ConfigError(
                f"{public_url(url)}: the Prometheus URL has no host, or one that is no host name "
                "or IP address (a space or % in it, a label starting with . or *); give "
                "http(s)://HOST or http(s)://HOST:PORT"
            ) from None
        self._url_auth = url_credentials(url, transport)
        prefix = transport.path_prefix.strip("/")
        self.base = public_url(url) + (f"/{prefix}" if prefix else "")
        self.url = self.base
        self.transport = transport
        self.session = self.new_session()
        host = urlsplit(url).hostname or ""
        loopback = host in ("localhost", "::1") or host.startswith("127.")
        if transport.compress is False or (transport.compress is None and loopback):
            self.session.headers["Accept-Encoding"] = "identity"

    def __repr__(self) -> str:
        return f"Endpoint({self.url!r})"

    def new_session(self) -> requests.Session:
        """Another session with this server's auth (the URL's credentials included), TLS and
        headers."""
        return build_session(self.transport, self._url_auth)

    def credentials_digest(self, salt: bytes) -> str:
        """A salted digest of the credentials requests carry now (never the secret), for cache
        keys (:func:`~apislo.sources.prometheus.transport.credentials_digest`)."""
        return credentials_digest(self.transport, salt, self._url_auth)

    def start_time(self) -> str | None:
        """When the server's process started, as it tells it (``startTime`` of
        :data:`RUNTIME_INFO`): the chunk cache's server identity, as serving another dataset
        takes a restart (blocks backfilled into the folder a server serves take none: it loads
        them within a minute, under the same start time).

        One request, with the credentials and headers of every other, never retried: an answer
        that does not tell is no error, and is not warned of.

        Returns:
            The start time as the server wrote it (RFC 3339); ``""`` when it tells none (an
            answer other than 429 and 5xx without a ``startTime``: 404 from Mimir, 400 from
            VictoriaMetrics, 401 or 403 from a proxy guarding that path); ``None`` when it could
            not be asked now (unreachable, 429 or 5xx, an answer cut off).

        Raises:
            ConfigError: a configured secret cannot be read (as for any request).
        """
        try:
            response = self._send(RUNTIME_INFO, {})
        except requests.RequestException:
            return None
        if response.status_code in _RETRY_STATUS:
            return None
        if response.status_code != 200:
            return ""
        try:
            doc = json.loads(response.content)
        except ValueError:
            return "" if _complete_but_not_prometheus(response.content) else None
        data = doc.get("data") if isinstance(doc, dict) else None
        started = data.get("startTime") if isinstance(data, dict) else None
        return started if isinstance(started, str) else ""

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        """Seconds to wait before retry ``attempt + 1``: what a valid ``Retry-After`` asks for,
        else exponential backoff with jitter; at most ``max_backoff_s`` either way."""
        t = self.transport
        asked = _retry_after_s(retry_after)
        if asked is not None:
            return min(asked, t.max_backoff_s)
        cap = min(t.max_backoff_s, t.backoff_s * 2**attempt)
        return cap / 2 + random.uniform(0, cap / 2)

    def call(
        self,
        path: str,
        params: Mapping[str, str],
        parse: Callable[[bytes], T],
        context: QueryContext,
    ) -> T:
        """GET (or POST, for long queries) ``path`` and ``parse`` the 200 body, with retries.

        Args:
            path: API path such as ``/api/v1/query_range``.
            params: request parameters.
            parse: turns a 200 body into a result; a ``ValueError`` means a cut-off body (retried).
            context: the query and range for error messages.

        Raises:
            ConfigError: a parameter holds a lone surrogate (:func:`_refuse_surrogates`).
            PrometheusQueryError: the server rejected the query (an error body, even with
                HTTP 200), or kept answering 429/5xx.
            PrometheusUnavailableError: the server could not be reached (or kept cutting
                answers), or redirects in a loop.
        """
        _refuse_surrogates(params, context)
        t = self.transport
        reason, failed = "", None
        for attempt in range(t.retries + 1):
            retry_after = None
            try:
                response = self._send(path, params)
            except _TRANSPORT_ERRORS as exc:
                if (refused := self._tls_refused(exc)) is not None:
                    raise refused from None
                reason, failed = _short(exc), None
            except requests.RequestException as exc:  # (a redirect loop: asking again is no use)
                raise PrometheusUnavailableError(self.url, _short(exc)) from None
            else:
                if response.status_code == 200:
                    try:
                        return parse(response.content)
                    except ApisloError:
                        raise
                    except ValueError as exc:
                        if _error_body(response) is not None:  # (some proxies answer 200)
                            raise self._query_error(response, context) from None
                        if _complete_but_not_prometheus(response.content):
                            raise self._not_prometheus(response) from None
                        reason, failed = f"answer cut off ({_short(exc)})", None
                elif response.status_code in _RETRY_STATUS:
                    reason, failed = f"HTTP {response.status_code}", response
                    retry_after = response.headers.get("Retry-After")
                else:
                    raise self._query_error(response, context)
            if attempt < t.retries:
                time.sleep(self._delay(attempt, retry_after))
        if failed is not None:
            raise self._query_error(failed, context)
        raise PrometheusUnavailableError(
            self.url, f"{reason}; gave up after {t.retries + 1} attempts"
        )

    def _send(self, path: str, params: Mapping[str, str]) -> requests.Response:
        """One request: GET, or a POST form when the query is too long for a URL."""
        url, timeout = self.base + path, self.transport.timeout_s
        if len(params.get("query", "")) > _MAX_GET_QUERY:
            return self.session.post(url, data=params, timeout=timeout)
        return self.session.get(url, params=params, timeout=timeout)

    def _not_prometheus(self, response: requests.Response) -> ConfigError:
        kind = response.headers.get("Content-Type", "no content type").split(";")[0]
        start = response.text.strip().replace("\n", " ")[:60]
        return ConfigError(
            f"{self.url} answered (HTTP 200, {kind}) but is not a Prometheus API: the answer "
            f"starts {start!r}. Check the URL and its path prefix; a login page means a proxy in "
            f"front of Prometheus wants credentials ({self.transport.named('bearer_token_env')}, "
            f"{self.transport.named('basic_user')})"
        )

    def _tls_refused(self, exc: BaseException) -> ConfigError | None:
        """The error for a TLS handshake that asking again would not mend (a server certificate
        that fails verification, a server that does not answer in TLS, or that refuses the
        client certificate given or its absence, or shares no cipher suite with this client),
        or ``None`` for ``exc``, a transport error that is none of these."""
        error = _ssl_error(exc)
        if isinstance(error, ssl.SSLEOFError):  # (a TLS 1.3 refusal whose alert was lost?)
            error = self._alert_after_handshake() or error
        if isinstance(error, ssl.SSLCertVerificationError):
            return self._certificate_failed(error)
        if error is not None and error.reason in _NOT_TLS:
            return self._not_tls(error.reason)
        if error is not None and error.reason in _NO_COMMON_VERSION:
            return self._no_common_version(error.reason)
        if error is not None and error.reason in _CLIENT_CERT_REFUSED:
            return self._client_certificate_refused(error.reason)
        return None

    def _alert_after_handshake(self) -> ssl.SSLError | None:
        """The alert the server ends a new TLS connection with before any request is sent, or
        ``None`` when it accepts the client, says nothing in time or the connection fails
        otherwise, and at once when requests go through a proxy (this connection would go
        around it, to another server or none).

        Under TLS 1.3 a server refuses the client certificate (or its absence) after the
        client's side of the handshake is done, and the request sent meanwhile often meets the
        closed connection first: an EOF, the alert lost. This connection checks the server's
        certificate as requests do (a client certificate goes to no server they would refuse),
        presents the same client certificate and sends nothing, so the alert arrives (see
        :func:`_await_verdict`).
        """
        t, parts = self.transport, urlsplit(self.base)
        try:
            context = self._tls_context()
            if context is None:
                return None
            address = (parts.hostname or "", parts.port or 443)
            with (
                socket.create_connection(address, timeout=t.timeout_s) as raw,
                context.wrap_socket(raw, server_hostname=parts.hostname) as tls,
            ):
                _await_verdict(tls, min(_ALERT_WAIT_S, t.timeout_s))
        except ssl.SSLError as error:
            return error
        except OSError:  # (no connection: no verdict)
            pass
        return None

    def _tls_context(self) -> ssl.SSLContext | None:
        """A TLS client context that trusts what this endpoint's requests trust (its CA file,
        ``$REQUESTS_CA_BUNDLE`` or requests' own bundle; nothing checked with ``verify=False``)
        and presents their client certificate, or ``None`` when they go through a proxy.

        Raises:
            OSError: a CA bundle or the client certificate cannot be loaded.
        """
        settings = self.session.merge_environment_settings(self.base, {}, None, None, None)
        if requests.utils.select_proxy(self.base, settings["proxies"]):
            return None
        verify, t = settings["verify"], self.transport
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        if verify is False:
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        else:
            load_cas(context, requests.utils.DEFAULT_CA_BUNDLE_PATH if verify is True else verify)
        if t.client_cert:
            context.load_cert_chain(t.client_cert, t.client_key)
        return context

    def _certificate_failed(self, error: ssl.SSLCertVerificationError) -> ConfigError:
        problem, remedy = _CERT_PROBLEMS.get(error.verify_code, _UNTRUSTED)
        why = (error.verify_message or "certificate verify failed").rstrip(".")
        named = self.transport.named
        return ConfigError(
            f"{self.url}: its TLS certificate {problem} ({why}): "
            f"{remedy.format(ca_file=named('ca_file'))}, or, for a throwaway test server only, "
            f"{named('verify')}"
        )

    def _not_tls(self, reason: str) -> ConfigError:
        plain = "http" + self.url.removeprefix("https")
        return ConfigError(
            f"{self.url}: the server does not answer in TLS (OpenSSL: {_openssl(reason)}), as a "
            f"plain-HTTP server would not: use {plain} if it serves plain HTTP, or the port of "
            "its https listener"
        )

    def _no_common_version(self, reason: str) -> ConfigError:
        return ConfigError(
            f"{self.url}: the server and this client share no TLS version (OpenSSL: "
            f"{_openssl(reason)}): enable TLS 1.2 or 1.3 on the server (OpenSSL here refuses "
            "TLS 1.1 and older)"
        )

    def _client_certificate_refused(self, reason: str) -> ConfigError:
        cert, named = self.transport.client_cert, self.transport.named
        given = f"it did not accept {cert}" if cert else "none was given"
        otherwise = ""
        if reason == _HANDSHAKE_FAILURE:  # (an alert that means either)
            given += (
                ", or it shares no cipher suite or key exchange group with this client (this "
                "alert says either)"
            )
            otherwise = ", or check the TLS settings of the server"
        return ConfigError(
            f"{self.url}: the server refused the TLS handshake (OpenSSL: {_openssl(reason)}): it "
            f"wants a client certificate (mutual TLS) and {given}: give a valid one signed by a "
            f"CA it trusts with {named('client_cert')} and {named('client_key')}{otherwise}"
        )

    @staticmethod
    def _query_error(response: requests.Response, context: QueryContext) -> PrometheusQueryError:
        error_type, error = _error_fields(response)
        return PrometheusQueryError(
            response.status_code, error_type, error, context.query, context.start, context.end
        )


def _refuse_surrogates(params: Mapping[str, str], context: QueryContext) -> None:
    """Refuse request parameters holding a lone surrogate (:func:`~apislo.text.lone_surrogate`),
    which UTF-8 cannot encode: a label value of an SLO or a ``where=`` built in Python (spec and
    profile files are checked when loaded) was a ``UnicodeEncodeError`` from ``requests``.

    Raises:
        ConfigError: one line naming the character, the query and what to write instead.
    """
    if found := lone_surrogate(dict(params)):
        _, character = found
        raise ConfigError(
            f"query {context.query!r} holds {character}, half of a UTF-16 surrogate pair, which "
            f"UTF-8, and so Prometheus, cannot hold: write {SURROGATE_INSTEAD}"
        )


def _retry_after_s(value: str | None) -> float | None:
    """Seconds from now that a ``Retry-After`` header value asks to wait (RFC 9110 section
    10.2.3: ``delay-seconds``, a non-negative integer, or an HTTP-date, 0 when it is past), or
    ``None`` when there is none or it is neither (``nan``, ``inf``, ``-5``, ``1.5``, ``1e400``,
    ``""``): the caller then backs off on its own. A huge integer is ``inf``, for the caller's
    cap.

    >>> _retry_after_s("120"), _retry_after_s("-5"), _retry_after_s("Sun, 06 Nov 1994 08:49:37 GMT")
    (120.0, None, 0.0)
    """
    text = (value or "").strip()
    if _DELAY_SECONDS.fullmatch(text):
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # (asctime dates name no zone; HTTP dates are all in GMT)
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _complete_but_not_prometheus(body: bytes) -> bool:
    """Whether a 200 body that did not parse is a whole answer of something else (an HTML login
    page, other JSON), not a Prometheus answer cut off in transit: asking again would not help."""
    text = body.lstrip()
    if not text:
        return False
    if not text.startswith(b"{"):
        return True
    try:
        json.loads(body)
    except ValueError:
        return False  # JSON cut off
    return True


def _ssl_error(exc: BaseException) -> ssl.SSLError | None:
    """The :mod:`ssl` error ``exc`` (a requests error wrapping urllib3's, wrapping
    :mod:`ssl`'s) comes from, or ``None`` when it comes from none."""
    pending, seen = [exc], set()
    while pending:
        item = pending.pop()
        if isinstance(item, ssl.SSLError):
            return item
        seen.add(id(item))
        linked = (*item.args, getattr(item, "reason", None), item.__cause__, item.__context__)
        pending += [e for e in linked if isinstance(e, BaseException) and id(e) not in seen]
    return None


def _await_verdict(tls: ssl.SSLSocket, wait_s: float) -> None:
    """Read the server's verdict on ``tls``, a connection whose handshake is done and on which
    nothing was sent: raise the alert it refuses the client with, or return once it accepts
    (at once under TLS 1.2, whose handshake holds the verdict; under TLS 1.3 at its session
    ticket, which servers send once they accept the client, Go's Prometheus and OpenSSL's
    alike), when it sends data or closes, or after ``wait_s`` seconds of silence, read in
    steps of :data:`_VERDICT_STEP_S`.

    Raises:
        ssl.SSLError: the server's alert.
    """
    if tls.version() != "TLSv1.3":
        return
    tls.settimeout(_VERDICT_STEP_S)
    for _ in range(math.ceil(wait_s / _VERDICT_STEP_S)):
        if tls.session is not None and tls.session.has_ticket:
            return
        try:
            tls.recv(1)
            return  # (data, or the connection closed without an alert)
        except TimeoutError:
            continue


def _openssl(reason: str) -> str:
    """OpenSSL's reason code as its text says it (``WRONG_VERSION_NUMBER``: ``wrong version
    number``)."""
    return reason.lower().replace("_", " ")


def _pool_reason(exc: BaseException) -> BaseException | None:
    """Why urllib3 gave up on a connection (its ``MaxRetryError``'s ``reason``: a connection
    refused, a host name that does not resolve, a connect timeout), which ``exc``, a requests
    error, wraps; or ``None``."""
    reason = getattr(exc.args[0] if exc.args else None, "reason", None)
    return reason if isinstance(reason, BaseException) else None


def _short(exc: BaseException) -> str:
    """A one-line description of a transport error, without the noise of nested reprs: for a
    TLS error, :mod:`ssl`'s, which gives OpenSSL's reason, and for another failed connection
    urllib3's reason (``Connection refused``, ``Failed to resolve 'host'``, without the
    connection object), where requests' says "Max retries exceeded with url: <the query>"
    (until 2026-11-30 all it said)."""
    if _ssl_error(exc) is None and (reason := _pool_reason(exc)) is not None:
        words = " ".join(str(a) for a in reason.args if isinstance(a, str | BaseException))
        return f"{type(reason).__name__}: {(words or str(reason))[:160]}"
    exc = _ssl_error(exc) or exc
    name = type(exc).__name__
    text = str(exc).split("(Caused by")[0].strip()
    return f"{name}: {text[:160]}" if text else name
