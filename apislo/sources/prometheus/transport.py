"""How to reach a Prometheus-compatible server: auth, TLS, headers, path prefix, timeouts, retries.

Secrets are never parameters: a bearer token or basic-auth password is named by an environment
variable or a file, read when a request is made (so rotated token files keep working), and never
shown in ``repr``, logs or exceptions. A ``user:password@`` in the server URL is the one exception
(:func:`url_credentials`): it is sent as basic auth and never shown either.

Whatever goes into a request header is checked first, so a value HTTP cannot carry (a second line,
a control character, a ``€`` in a token) is a :class:`~apislo.errors.ConfigError` naming where the
value came from and what is wrong, never a library error echoing the value.

>>> t = Transport(bearer_token_env="PROM_TOKEN", headers={"X-Scope-OrgID": "team-a"})
>>> "PROM_TOKEN" in repr(t), "team-a" in repr(t)
(True, False)
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from functools import lru_cache
from numbers import Integral, Real
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
from requests.adapters import HTTPAdapter

from apislo.errors import ConfigError
from apislo.sources.prometheus.settings import (
    check_header_name,
    check_lone_surrogate,
    check_tls_files,
)
from apislo.text import HALF_PAIR, lone_surrogate

__all__ = ["Transport", "build_session", "check_headers", "credentials_digest", "url_credentials"]


@dataclass(frozen=True, repr=False)
class Transport:
    """Connection settings for one server. Every field has a safe default.

    Settings that do not go together, and a CA file, client certificate or key that cannot be
    read or is not PEM (loaded now, as a connection would), are a
    :class:`~apislo.errors.ConfigError` when it is built, naming the setting.

    Attributes:
        bearer_token_env: name of an environment variable holding a bearer token.
        bearer_token_file: path of a file holding a bearer token (e.g. a Kubernetes service
            account token); re-read on every request.
        basic_user: user name for HTTP basic auth.
        basic_password_env: environment variable holding the basic-auth password.
        basic_password_file: file holding the basic-auth password.
        ca_file: PEM bundle of CAs to trust instead of the system ones.
        client_cert: PEM client certificate (mutual TLS).
        client_key: PEM key of ``client_cert`` when it is not in the same file.
        verify: verify the server's TLS certificate (turn off only for a throwaway test server;
            not together with ``ca_file``).
        headers: extra headers, e.g. ``{"X-Scope-OrgID": "tenant"}`` for Mimir/Cortex/Loki
            tenants. Values are not shown in ``repr``, and must be printable ASCII.
        path_prefix: path under which the API is served (``/prometheus`` for Mimir/Grafana
            Cloud style routes); may also be given as the path of the URL. It may not hold a
            lone surrogate (see :func:`~apislo.sources.prometheus.settings.check_lone_surrogate`).
        timeout_s: per-request timeout, seconds (connect and read).
        retries: retries after the first attempt on connection errors, timeouts, cut-off bodies,
            429 and 5xx.
        backoff_s: first retry delay, seconds; doubles each retry, with jitter.
        max_backoff_s: cap on one retry delay (and on a server's ``Retry-After``), seconds.
        concurrency: parallel requests for chunked range queries.
        compress: ask for gzip answers; ``None`` (default) = yes, except on loopback, where
            compressing costs the server more time than it saves (measured 3x slower per chunk).
        setting_names: how error messages name each setting, by field, as the command line or
            the environment takes it (``{"ca_file": "--ca-file"}``,
            ``{"ca_file": "$APISLO_PROMETHEUS_CA_FILE"}``; for ``headers``, one header, with
            ``{name}``: ``--header {name}``): see :mod:`~apislo.sources.prometheus.settings`.
            It names the settings given there (:attr:`given_settings`) and those given nowhere,
            which a message may ask for; a field not in it, or given in Python, is named as here
            (``ca_file``, ``verify=False``, ``header {name}``).
        given_settings: the fields given where :attr:`setting_names` names them; a field set
            here (not to its default) and not in it was given in Python. Until 2026-11-29 a
            Python keyword added to :func:`~apislo.sources.prometheus.settings.environment_options`
            was named by its variable, which was not set.
    """

    bearer_token_env: str | None = None
    bearer_token_file: str | Path | None = None
    basic_user: str | None = None
    basic_password_env: str | None = None
    basic_password_file: str | Path | None = None
    ca_file: str | Path | None = None
    client_cert: str | Path | None = None
    client_key: str | Path | None = None
    verify: bool = True
    headers: Mapping[str, str] = field(default_factory=dict)
    path_prefix: str = ""
    timeout_s: float = 30.0
    retries: int = 4
    backoff_s: float = 0.5
    max_backoff_s: float = 10.0
    concurrency: int = 4
    compress: bool | None = None
    setting_names: Mapping[str, str] = field(default_factory=dict, compare=False)
    given_settings: frozenset[str] = field(default=frozenset(), compare=False)

    def __post_init__(self) -> None:
        self._check_auth()
        self._check_tls()
        self._check_numbers()
        check_headers(self.headers, self.named("headers"))
        check_lone_surrogate(self.path_prefix, self.named("path_prefix"))
        files = {
            "ca_file": self.ca_file,
            "client_cert": self.client_cert,
            "client_key": self.client_key,
        }
        check_tls_files(files, self.named)

    def named(self, setting: str) -> str:
        """How messages name ``setting`` (a field): as :attr:`setting_names` says, unless it was
        given in Python (set here, and not one of :attr:`given_settings`); else as in Python
        (``ca_file``; ``verify=False`` for ``verify``; ``header {name}`` for ``headers``)."""
        in_python = setting not in self.given_settings and _is_set(self, setting)
        name = None if in_python else self.setting_names.get(setting)
        return name or _PYTHON_NAMES.get(setting, setting)

    def _check_auth(self) -> None:
        """Refuse credentials given twice, or a password without its user, naming the settings.

        Raises:
            ConfigError: both token settings, a token and basic auth, both password settings,
                a password without its user (it would be silently left out of every request),
                a user that basic auth cannot send, or an ``Authorization`` header beside a
                token or basic auth (until 2026-11-29 the header was silently replaced).
        """
        name = self.named
        token = "bearer_token_env" if self.bearer_token_env else "bearer_token_file"
        password = self.basic_password_env or self.basic_password_file
        if self.bearer_token_env and self.bearer_token_file:
            raise ConfigError(
                f"give {name('bearer_token_env')} or {name('bearer_token_file')}, not both"
            )
        if getattr(self, token) and self.basic_user:
            raise ConfigError(
                f"give a bearer token ({name(token)}) or basic auth ({name('basic_user')}), "
                "not both"
            )
        if self.basic_password_env and self.basic_password_file:
            raise ConfigError(
                f"give {name('basic_password_env')} or {name('basic_password_file')}, not both"
            )
        if password and not self.basic_user:
            raise ConfigError(
                f"a basic-auth password needs its user: give {name('basic_user')} too"
            )
        if self.basic_user:
            _checked(self.basic_user, _BASIC, "basic auth", name("basic_user"))
        header = self.authorization_header()
        if header and (getattr(self, token) or self.basic_user):
            setting = name(token) if getattr(self, token) else name("basic_user")
            raise ConfigError(
                f"give an Authorization header ({name('headers').format(name=header)}) or "
                f"{setting}, not both: the header would be replaced"
            )

    def authorization_header(self) -> str | None:
        """The name of an ``Authorization`` header of :attr:`headers` (as given), if any."""
        return next((name for name in self.headers if name.lower() == "authorization"), None)

    def _check_tls(self) -> None:
        """Refuse TLS settings that would be ignored, naming them.

        Raises:
            ConfigError: a client key without its certificate, or a CA file with ``verify``
                off (the CA file won: the certificate was verified after all).
        """
        name = self.named
        if self.client_key and not self.client_cert:
            raise ConfigError(f"{name('client_key')} needs {name('client_cert')}")
        if self.ca_file and not self.verify:
            raise ConfigError(
                f"{name('ca_file')} verifies the server's certificate and {name('verify')} "
                "does not: give one of them"
            )

    def _check_numbers(self) -> None:
        """Refuse a timeout, backoff, retries or concurrency out of range, naming the setting.

        Raises:
            ConfigError: ``timeout_s`` is not a finite number > 0 (``nan`` and ``inf`` were a
                traceback from the socket at the first request), ``backoff_s`` or
                ``max_backoff_s`` not one >= 0 (a negative one, ``nan`` or a text was a
                traceback at the first retry, as was ``retries=1.5``), ``retries`` is not a
                whole number >= 0 or ``concurrency`` not one >= 1.
        """
        timeout, retries, concurrency = self.timeout_s, self.retries, self.concurrency
        for setting, allowed, rule in (
            (
                "timeout_s",
                _number(timeout) and 0 < timeout < math.inf,
                "a finite number of seconds > 0",
            ),
            ("backoff_s", _seconds(self.backoff_s), "a finite number of seconds >= 0"),
            ("max_backoff_s", _seconds(self.max_backoff_s), "a finite number of seconds >= 0"),
            ("retries", _whole(retries) and retries >= 0, "a whole number >= 0"),
            ("concurrency", _whole(concurrency) and concurrency >= 1, "a whole number >= 1"),
        ):
            if not allowed:
                raise ConfigError(f"{self.named(setting)} must be {rule}")

    def __repr__(self) -> str:
        shown = []
        for name in (
            "bearer_token_env",
            "bearer_token_file",
            "basic_user",
            "basic_password_env",
            "basic_password_file",
            "ca_file",
            "client_cert",
            "path_prefix",
        ):
            value = getattr(self, name)
            if value:
                shown.append(f"{name}={str(value)!r}")
        if self.headers:
            shown.append(f"headers=<{', '.join(sorted(self.headers))}>")
        shown.append(f"timeout_s={self.timeout_s}, retries={self.retries}")
        return f"Transport({', '.join(shown)})"


def _number(value: object) -> bool:
    """Whether ``value`` is a real number (``True`` and ``"30"`` are not)."""
    return isinstance(value, Real) and not isinstance(value, bool)


def _seconds(value: object) -> bool:
    """Whether ``value`` is a finite number >= 0 (a delay, seconds)."""
    return _number(value) and 0 <= value < math.inf


def _whole(value: object) -> bool:
    """Whether ``value`` is a whole number (NumPy's too; ``True`` and ``2.0`` are not)."""
    return isinstance(value, Integral) and not isinstance(value, bool)


#: How messages name a field given in Python, where that is not its name (``headers``: one
#: header, with ``{name}``).
_PYTHON_NAMES = {"verify": "verify=False", "headers": "header {name}"}
#: Each field's default, by name.
_DEFAULTS = {
    f.name: f.default if f.default_factory is MISSING else f.default_factory()
    for f in fields(Transport)
}


def _is_set(transport: Transport, setting: str) -> bool:
    """Whether ``setting`` (a field) of ``transport`` holds other than its default."""
    return bool(getattr(transport, setting) != _DEFAULTS[setting])


@dataclass(frozen=True)
class _Charset:
    """What one kind of header content may hold.

    Attributes:
        rule: the rule, as an error message states it.
        highest: the highest code point allowed (0x7E: ASCII; 0xFF: Latin-1).
        beyond: what a message calls a character above ``highest``.
        spaces: whether spaces are allowed.
    """

    rule: str
    highest: int
    beyond: str
    spaces: bool


#: Sent as is after ``Bearer ``: RFC 6750's token characters are all printable ASCII.
_TOKEN = _Charset(
    "a bearer token is one line of printable ASCII without spaces",
    0x7E,
    "a character outside printable ASCII",
    spaces=False,
)
#: requests encodes the basic-auth user and password as Latin-1 before base64.
_BASIC = _Charset(
    "a basic-auth user or password is one line of Latin-1 text",
    0xFF,
    "a character outside Latin-1",
    spaces=True,
)
#: An extra header's value (RFC 9110 field value, without the obsolete non-ASCII bytes).
_HEADER = _Charset(
    "a header value is one line of printable ASCII",
    0x7E,
    "a character outside printable ASCII",
    spaces=True,
)


def _flaw(value: str, charset: _Charset) -> str | None:
    """What makes ``value`` unfit for ``charset`` (described, never quoted), or ``None``."""
    if "\n" in value or "\r" in value:
        return "a line break"
    if any(unicodedata.category(char) == "Cc" for char in value):  # C0, DEL and C1 controls
        return "a control character"
    if not charset.spaces and any(char.isspace() for char in value):
        return "a space"
    if lone_surrogate(value):  # (said as such: it is no character, and UTF-8 cannot hold it)
        return f"a lone surrogate ({HALF_PAIR})"
    if any(ord(char) > charset.highest for char in value):
        return charset.beyond
    return None


def _checked(value: str, charset: _Charset, what: str, source: str) -> str:
    """``value``, once ``charset`` allows it.

    Raises:
        ConfigError: it does not; the message names ``what`` it is, its ``source`` (an
            environment variable's name, a file's path) and the flaw, never the value.
    """
    flaw = _flaw(value, charset)
    if flaw:
        raise ConfigError(f"{what}: {source} has {flaw}; {charset.rule}")
    return value


def check_headers(headers: Mapping[str, str], header: str) -> None:
    """Refuse extra headers that HTTP cannot carry, without showing a value (it may be a key).
    ``header`` is how messages name one, with ``{name}`` (``header {name}``, ``--header {name}``,
    ``header {name} in $APISLO_PROMETHEUS_HEADERS``).

    Raises:
        ConfigError: a name is not an HTTP field name (see
            :func:`~apislo.sources.prometheus.settings.check_header_name`), or a value has a line
            break, a control character, a lone surrogate, a character outside printable ASCII,
            or leading or trailing spaces.
    """
    for name, value in headers.items():
        check_header_name(name, header)
        named = header.format(name=name)
        _checked(value, _HEADER, named, "its value")
        if value != value.strip():
            raise ConfigError(f"{named}: its value has leading or trailing spaces")


def _read_secret(
    env: str | None, path: str | Path | None, what: str, charset: _Charset
) -> str | None:
    """The secret in environment variable ``env`` or file ``path``, without surrounding
    whitespace (a file's trailing newline), or ``None`` when neither is given.

    Raises:
        ConfigError: the variable is unset or blank, the file cannot be read, is not UTF-8 or
            is blank, or the secret is unfit for ``charset`` (see :func:`_checked`).
    """
    if env:
        value = os.environ.get(env, "").strip()
        if not value:
            raise ConfigError(f"{what}: environment variable {env} is not set or empty")
        return _checked(value, charset, what, f"environment variable {env}")
    if path:
        try:
            value = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"{what}: cannot read {path} ({exc.strerror})") from None
        except UnicodeDecodeError:  # (its message quotes bytes of the secret)
            raise ConfigError(f"{what}: {path} is not UTF-8 text") from None
        if not value:
            raise ConfigError(f"{what}: {path} is empty")
        return _checked(value, charset, what, str(path))
    return None


def _bearer_token(transport: Transport) -> str | None:
    """The bearer token, read now, or ``None`` when ``transport`` configures none."""
    t = transport
    return _read_secret(t.bearer_token_env, t.bearer_token_file, "bearer token", _TOKEN)


def _basic_password(transport: Transport) -> str:
    """The basic-auth password, read now (``""`` when none is configured)."""
    t = transport
    return _read_secret(t.basic_password_env, t.basic_password_file, "basic auth", _BASIC) or ""


#: The fields that configure authentication.
_AUTH_SETTINGS = ("bearer_token_env", "bearer_token_file", "basic_user")


def url_credentials(url: str, transport: Transport) -> tuple[str, str] | None:
    """The ``user:password@`` of ``url`` (percent-decoded) for basic auth, or ``None``.

    Raises:
        ConfigError: the URL carries credentials and ``transport`` configures auth too (says
            which setting), or they are unfit for basic auth (a line break, a character outside
            Latin-1); never shows the password.
    """
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return None
    given = [transport.named(s) for s in _AUTH_SETTINGS if getattr(transport, s)]
    if header := transport.authorization_header():
        given.append(transport.named("headers").format(name=header))
    if given:
        raise ConfigError(
            f"credentials given twice: in the URL (user:password@) and by {given[0]}; give them "
            "one way only"
        )
    user, password = (
        _checked(unquote(part or ""), _BASIC, "basic auth", "the URL's user:password@")
        for part in (parts.username, parts.password)
    )
    return user, password


#: scrypt's cost for :func:`credentials_digest`: n=2**13, r=8, p=1 takes 8 MiB of memory and
#: about 30 ms of one core (28 ms measured on the development machine), once per process for each
#: credentials and salt.
_SCRYPT = {"n": 2**13, "r": 8, "p": 1}
#: Held while a digest is derived, so that concurrent chunk requests derive it once.
_DERIVING = threading.Lock()


def credentials_digest(
    transport: Transport, salt: bytes, url_auth: tuple[str, str] | None = None
) -> str:
    """A salted, deliberately slow digest (scrypt, hex) of the credentials a request would carry
    now (bearer token, basic user and password, the URL's ``user:password@``, the client
    certificate's path) and of the request headers (which may carry a key too), for cache keys:
    different or missing credentials never share an entry, nor do equal ones under other salts,
    and the secret itself is never stored. Trying a guessed password or token against a cache
    folder costs a scrypt run (about 30 ms, 8 MiB), not a SHA-256's microsecond. Read at each
    call, like the secrets themselves (a rotated token is a new key); derived once per process
    for each credentials and salt.

    Args:
        transport: the credentials' settings.
        salt: the cache folder's random salt.
        url_auth: the URL's own ``(user, password)``, sent when ``transport`` configures none.

    Raises:
        ConfigError: a configured secret cannot be read (as a request would).
    """
    t = transport
    token = _bearer_token(t)
    if token is not None:
        parts: list[Any] = ["bearer", token]
    elif t.basic_user:
        parts = ["basic", t.basic_user, _basic_password(t)]
    elif url_auth is not None:
        parts = ["basic", *url_auth]
    else:
        parts = ["none"]
    parts += [str(t.client_cert) if t.client_cert else None, sorted(t.headers.items())]
    with _DERIVING:
        return _derived(hashlib.sha256(json.dumps(parts).encode()).digest(), salt)


@lru_cache(maxsize=64)
def _derived(fingerprint: bytes, salt: bytes) -> str:
    """scrypt of ``fingerprint`` (a SHA-256 of the credentials, so that this memo keeps no
    secret) under ``salt``, as hex."""
    return hashlib.scrypt(fingerprint, salt=salt, dklen=32, **_SCRYPT).hex()


class _SecretAuth(requests.auth.AuthBase):
    """Adds bearer or basic credentials, reading the secret at request time; hides it in repr.

    ``url_auth`` is the URL's own ``(user, password)``, used when ``transport`` configures no auth.
    """

    def __init__(self, transport: Transport, url_auth: tuple[str, str] | None = None) -> None:
        self._t = transport
        self._url_auth = url_auth

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        t = self._t
        token = _bearer_token(t)
        if token is not None:
            request.headers["Authorization"] = f"Bearer {token}"
        elif t.basic_user:
            request.prepare_auth((t.basic_user, _basic_password(t)))
        elif self._url_auth is not None:
            request.prepare_auth(self._url_auth)
        return request

    def __repr__(self) -> str:
        return "<credentials hidden>"


class _Session(requests.Session):
    """A session whose own ``verify`` (a CA file, or ``False``) is used for every request, and
    whose extra headers (``extra``: :attr:`Transport.headers`) stay with its server.

    requests lets ``$REQUESTS_CA_BUNDLE`` or ``$CURL_CA_BUNDLE`` replace a session's ``verify``
    when a request names none (psf/requests#3829): set, as in many containers and CI images,
    they silently overrode ``ca_file`` and ``verify=False``. With the default ``verify=True``
    they still apply, as they do for every other requests program.

    A redirect to another host or port drops the extra headers where requests drops an
    ``Authorization`` (``should_strip_auth``: not on an upgrade from http to https on the same
    host's default ports): they hold an API key or a tenant (``X-Api-Key``, ``X-Scope-OrgID``).
    Until 2026-11-29 they followed the redirect, to a login page's host too.
    """

    def __init__(self, extra: Iterable[str] = ()) -> None:
        super().__init__()
        self._extra = tuple(extra)

    def rebuild_auth(self, prepared_request: Any, response: Any) -> None:
        if self.should_strip_auth(response.request.url, prepared_request.url):
            for name in self._extra:
                prepared_request.headers.pop(name, None)
        super().rebuild_auth(prepared_request, response)

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> dict[str, Any]:
        if verify is None:
            verify = self.verify
        return super().merge_environment_settings(url, proxies, stream, verify, cert)


def build_session(
    transport: Transport, url_auth: tuple[str, str] | None = None
) -> requests.Session:
    """A :class:`requests.Session` configured from ``transport`` (no retries of its own).

    Args:
        transport: auth, TLS and headers.
        url_auth: basic-auth ``(user, password)`` taken from the server URL
            (:func:`url_credentials`), sent when ``transport`` configures no auth.
    """
    session = _Session(transport.headers)
    session.headers.update(dict(transport.headers))
    session.auth = _SecretAuth(transport, url_auth)
    verify: Any = str(transport.ca_file) if transport.ca_file else transport.verify
    session.verify = verify
    if transport.client_cert:
        session.cert = (
            (str(transport.client_cert), str(transport.client_key))
            if transport.client_key
            else str(transport.client_cert)
        )
    adapter = HTTPAdapter(
        pool_connections=1, pool_maxsize=max(transport.concurrency, 1), max_retries=0
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
