"""Connection settings given as text, mapped onto :class:`Transport` in one place: the options of
the commands that read Prometheus (``apislo prom``, ``apislo slo --source URL``) and the
``APISLO_PROMETHEUS_*`` environment variables that reports read in their kernel (``apislo report
run``, scheduled jobs, the notebooks), which take no secret as a parameter.

Secrets are never values here: a bearer token or a basic-auth password is named by the variable
or file holding it, read by :class:`Transport` at each request. A header's value may be a key: no
message shows one. Each message names a setting as its source does (:class:`SettingsSource`): the
option on a command line, the variable in the environment.

>>> options = environment_options(
...     {HEADERS_ENV: "X-Scope-OrgID: team-a, X-Tags: a%2Cb", TOKEN_FILE_ENV: "/run/token"}
... )
>>> options["headers"], options["bearer_token_file"]
({'X-Scope-OrgID': 'team-a', 'X-Tags': 'a,b'}, '/run/token')
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from apislo.errors import ConfigError

if TYPE_CHECKING:
    import ssl

__all__ = [
    "CA_FILE_ENV",
    "CLIENT_CERT_ENV",
    "CLIENT_KEY_ENV",
    "COMMAND_LINE",
    "ENVIRONMENT",
    "HEADERS_ENV",
    "INSECURE_SKIP_VERIFY_ENV",
    "PASSWORD_ENV",
    "PASSWORD_FILE_ENV",
    "RETRIES_ENV",
    "TIMEOUT_ENV",
    "TOKEN_ENV",
    "TOKEN_FILE_ENV",
    "URL_ENV",
    "USER_ENV",
    "SettingsSource",
    "check_tls_files",
    "check_url_userinfo",
    "environment_options",
    "load_cas",
    "parse_headers",
    "transport_options",
]

#: The server's URL (a ``user:password@`` in it is sent as basic auth, never shown).
URL_ENV = "APISLO_PROMETHEUS_URL"
#: A bearer token (the secret itself, read at each request).
TOKEN_ENV = "APISLO_PROMETHEUS_TOKEN"
#: The path of a file holding a bearer token (a Kubernetes secret), re-read at each request.
TOKEN_FILE_ENV = "APISLO_PROMETHEUS_TOKEN_FILE"
#: The user for HTTP basic auth.
USER_ENV = "APISLO_PROMETHEUS_USER"
#: Its password (the secret itself, read at each request).
PASSWORD_ENV = "APISLO_PROMETHEUS_PASSWORD"
#: The path of a file holding its password (a mounted secret), re-read at each request.
PASSWORD_FILE_ENV = "APISLO_PROMETHEUS_PASSWORD_FILE"
#: Extra headers, ``NAME:VALUE`` separated by commas (``X-Scope-OrgID:team-a``); values are
#: percent-decoded, as OpenTelemetry's ``OTEL_EXPORTER_OTLP_HEADERS`` (``%2C`` is a comma).
HEADERS_ENV = "APISLO_PROMETHEUS_HEADERS"
#: The path of a PEM bundle of CAs to trust for https.
CA_FILE_ENV = "APISLO_PROMETHEUS_CA_FILE"
#: The path of a PEM client certificate (mutual TLS).
CLIENT_CERT_ENV = "APISLO_PROMETHEUS_CLIENT_CERT"
#: The path of its PEM key, when not in the certificate's file.
CLIENT_KEY_ENV = "APISLO_PROMETHEUS_CLIENT_KEY"
#: ``true`` to skip the server certificate's check (throwaway test servers only).
INSECURE_SKIP_VERIFY_ENV = "APISLO_PROMETHEUS_INSECURE_SKIP_VERIFY"
#: The per-request timeout, seconds (a finite number > 0).
TIMEOUT_ENV = "APISLO_PROMETHEUS_TIMEOUT"
#: Retries after the first attempt (a whole number >= 0).
RETRIES_ENV = "APISLO_PROMETHEUS_RETRIES"

_TRUE, _FALSE = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")
#: A ``%`` that starts no ``%XX`` escape.
_BARE_PERCENT = re.compile("%(?![0-9A-Fa-f]{2})")


@dataclass(frozen=True)
class SettingsSource:
    """Where settings come from, as error messages name it.

    Attributes:
        one: one header of it, unnamed (``a --header``).
        named: one header of it by name, a template with ``{name}`` (``--header {name}``).
        credential: why a Bearer or Basic ``Authorization`` header is refused there, and what
            to give instead.
        names: the name of each setting there, by its :class:`Transport` field (``ca_file``
            -> ``--ca-file``), for the messages of :class:`Transport` (its ``setting_names``)
            and of :func:`check_tls_files`.
        percent_decoded: whether header values are percent-decoded (``%2C`` is a comma).
    """

    one: str
    named: str
    credential: str
    names: Mapping[str, str]
    percent_decoded: bool = False


#: The options of a command line.
COMMAND_LINE = SettingsSource(
    "a --header",
    "--header {name}",
    "puts a credential on the command line, where ps and the shell history show it: give a "
    "bearer token with --bearer-token-env or --bearer-token-file (basic auth: --basic-user with "
    "--basic-password-env or --basic-password-file)",
    {
        "bearer_token_env": "--bearer-token-env",
        "bearer_token_file": "--bearer-token-file",
        "basic_user": "--basic-user",
        "basic_password_env": "--basic-password-env",
        "basic_password_file": "--basic-password-file",
        "ca_file": "--ca-file",
        "client_cert": "--client-cert",
        "client_key": "--client-key",
        "verify": "--insecure-skip-verify",
        "timeout_s": "--timeout",
        "concurrency": "--concurrency",
    },
)
#: The variable of each :class:`Transport` field that the environment sets.
_VARIABLES = {
    "bearer_token_env": TOKEN_ENV,
    "bearer_token_file": TOKEN_FILE_ENV,
    "basic_user": USER_ENV,
    "basic_password_env": PASSWORD_ENV,
    "basic_password_file": PASSWORD_FILE_ENV,
    "ca_file": CA_FILE_ENV,
    "client_cert": CLIENT_CERT_ENV,
    "client_key": CLIENT_KEY_ENV,
    "verify": INSECURE_SKIP_VERIFY_ENV,
    "timeout_s": TIMEOUT_ENV,
    "retries": RETRIES_ENV,
}
#: The ``APISLO_PROMETHEUS_*`` variables.
ENVIRONMENT = SettingsSource(
    f"a header in ${HEADERS_ENV} (comma-separated)",
    f"header {{name}} in ${HEADERS_ENV}",
    f"is a credential, which apislo reads and checks at each request from ${TOKEN_ENV} or the "
    f"file named by ${TOKEN_FILE_ENV}: give the token there (basic auth: ${USER_ENV} with "
    f"${PASSWORD_ENV} or ${PASSWORD_FILE_ENV})",
    {field: f"${name}" for field, name in _VARIABLES.items()},
    percent_decoded=True,
)
#: What each TLS file setting holds, by its :class:`Transport` field, as messages say it.
_TLS_FILES = {
    "ca_file": "a PEM bundle of CAs, or a folder of them",
    "client_cert": "a PEM client certificate",
    "client_key": "the unencrypted PEM key of the client certificate",
}


def parse_headers(items: Iterable[str], source: SettingsSource) -> dict[str, str]:
    """``NAME:VALUE`` texts (spaces around either ignored) as a dict, the values percent-decoded
    where ``source`` says so.

    Raises:
        ConfigError: one has no ``:`` or no name (it is not quoted: it may hold a key), a ``%``
            that starts no ``%XX`` escape where values are percent-decoded, is an
            ``Authorization`` of the Bearer or Basic scheme (a credential where the token
            settings would neither check it nor re-read it, and on a command line where ``ps``
            and the shell history show it; other schemes have no such setting), or a name is
            given twice (HTTP names are case-insensitive; only one would be sent). The message
            names ``source``.
    """
    headers: dict[str, str] = {}
    for item in items:
        name, sep, value = (part.strip() for part in item.partition(":"))
        if not sep or not name:
            raise ConfigError(
                f"{source.one} is not NAME:VALUE: write it as NAME:VALUE (X-Scope-OrgID:team-a)"
            )
        if source.percent_decoded:
            value = _percent_decoded(value, source)
        named = source.named.format(name=name)
        if name.lower() == "authorization" and _scheme(value) in ("bearer", "basic"):
            raise ConfigError(f"{named} {source.credential}")
        if name.lower() in (known.lower() for known in headers):
            raise ConfigError(f"{named} is given twice, and only one would be sent: give it once")
        headers[name] = value
    return headers


def _percent_decoded(value: str, source: SettingsSource) -> str:
    """``value`` with its ``%XX`` escapes decoded (UTF-8), as OpenTelemetry reads the values of
    ``OTEL_EXPORTER_OTLP_HEADERS``: ``%2C`` is a comma, ``%25`` a ``%``; a ``+`` stays a ``+``.

    Raises:
        ConfigError: a ``%`` starts no escape (naming ``source``, never the value or its name,
            which may hold a key when the ``:`` is missing).
    """
    if _BARE_PERCENT.search(value):
        raise ConfigError(
            f"{source.one} has a % that starts no %XX escape: write a % as %25 (and a comma as %2C)"
        )
    return unquote(value)


def _scheme(credentials: str) -> str:
    """The authentication scheme of an ``Authorization`` value, lower case (``bearer``)."""
    return credentials.split(maxsplit=1)[0].lower() if credentials.strip() else ""


def transport_options(settings: Mapping[str, Any], source: SettingsSource) -> dict[str, Any]:
    """:class:`Transport` keywords from settings named like the command-line options: ``headers``
    (``NAME:VALUE`` texts, read by :func:`parse_headers` naming ``source``),
    ``insecure_skip_verify`` (a bool), and :class:`Transport` fields (``None``: not given).

    The keywords include ``setting_names``, so that :class:`Transport`'s messages name its
    settings as ``source`` does; it is built once here, to refuse them now.

    Raises:
        ConfigError: a header is refused (see :func:`parse_headers`), or settings that
            :class:`Transport` refuses (a TLS file included: see :func:`check_tls_files`).
    """
    from apislo.sources.prometheus.transport import Transport  # (requests: only when connecting)

    given = dict(settings)
    options: dict[str, Any] = {
        "headers": parse_headers(given.pop("headers", ()), source),
        "verify": not given.pop("insecure_skip_verify", False),
        "setting_names": source.names,
    }
    options.update({name: value for name, value in given.items() if value is not None})
    Transport(**options)
    return options


def check_tls_files(files: Mapping[str, Any], named: Callable[[str], str]) -> None:
    """Load the TLS files in ``files`` (``ca_file``, ``client_cert``, ``client_key``: a path or
    ``None`` each) as a connection does, so that one that cannot be read or is not PEM is
    refused when :class:`Transport` is built, naming its setting as ``named`` does (by field:
    ``--ca-file``, ``$APISLO_PROMETHEUS_CA_FILE``, ``ca_file``), not at each request (where
    requests raised a bare ``OSError``, and a file that is not PEM made the server
    "unreachable" after every retry). Here, not in :mod:`.transport`, so that this module
    stays light to import.

    Raises:
        ConfigError: the CA file, client certificate or key is missing, cannot be read or does
            not hold what it should (an encrypted key, which requests cannot open, included).
    """
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    names, holds = {field: named(field) for field in _TLS_FILES}, _TLS_FILES
    pair = f"{holds['client_cert']} and its unencrypted PEM key"
    ca_file, cert, key = (files.get(field) for field in _TLS_FILES)
    if ca_file:
        with _tls_file(names["ca_file"], ca_file, holds["ca_file"]):
            load_cas(context, ca_file)
    for field, path in (("client_cert", cert), ("client_key", key)):
        if path:
            with _tls_file(names[field], path, holds[field]), open(path, "rb"):
                pass  # (ssl's own error would not say which of the two it could not read)
    if cert and key:
        with _tls_file(
            f"{names['client_cert']} and {names['client_key']}",
            f"{cert} and {key}",
            pair,
        ):
            context.load_cert_chain(cert, key, password="")
    elif cert:
        with _tls_file(
            names["client_cert"], cert, f"{pair}, or the key be given by {names['client_key']}"
        ):
            context.load_cert_chain(cert, password="")


def load_cas(context: ssl.SSLContext, location: str | os.PathLike[str]) -> None:
    """Have ``context`` trust the CAs at ``location``: a PEM bundle, or a folder of them (as
    requests takes either).

    Raises:
        OSError: ``location`` cannot be read (:class:`ssl.SSLError`: it holds no CA).
    """
    kind = "capath" if os.path.isdir(location) else "cafile"
    context.load_verify_locations(**{kind: location})


@contextmanager
def _tls_file(setting: str, path: str | os.PathLike[str], holds: str) -> Iterator[None]:
    """Raise an ``OSError`` of the block, reading ``path`` (given by ``setting``, which should
    name a file that ``holds`` something), as a one-line :class:`ConfigError` naming them."""
    import ssl

    try:
        yield
    except ssl.SSLError as exc:
        reason = f"; OpenSSL: {exc.reason.lower().replace('_', ' ')}" if exc.reason else ""
        raise ConfigError(f"{setting}: {path} should hold {holds}{reason}") from None
    except OSError as exc:
        raise ConfigError(
            f"{setting}: cannot read {path} ({exc.strerror or exc}): give the path of {holds}"
        ) from None


def check_url_userinfo(url: str, what: str) -> None:
    """Refuse a URL with an ``@`` in its path, query or fragment, before any message shows it.

    A ``/``, ``?`` or ``#`` ends a URL's host part, so in ``https://ann:pa/ss@host`` (a password
    holding a ``/``) or ``https://ab/cd@host`` (a token) the host is ``ann`` or ``ab`` and the
    rest of the secret is the path, which a URL without its ``user:password@`` keeps; without
    ``http(s)://`` (``ann:secret@host``) there is no host part at all. Until 2026-11-29 such a
    secret reached every message naming the server, and so a failed report's history, index
    and notebook.

    Args:
        url: the URL.
        what: what it is, as the message names it (``the Prometheus URL``).

    Raises:
        ConfigError: it has such an ``@``; the message shows no part of the URL.
    """
    parts = urlsplit(url)
    if "@" in parts.path + parts.query + parts.fragment:
        raise ConfigError(
            f"{what} has an @ after its host, or no http(s):// before its user:password@ (not "
            "shown: it may hold a password): write it as http(s)://USER:PASSWORD@HOST, with a "
            "/ ? or # in the user or password written as %2F, %3F or %23"
        )


def environment_options(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """:class:`Transport` keywords from the ``APISLO_PROMETHEUS_*`` variables of ``environ``
    (default: this process's environment): a token in :data:`TOKEN_ENV` (named, not read: it is
    read at each request) or a file in :data:`TOKEN_FILE_ENV`; basic auth by :data:`USER_ENV`
    with a password in :data:`PASSWORD_ENV` (named, not read) or a file in
    :data:`PASSWORD_FILE_ENV`; headers in :data:`HEADERS_ENV` (values percent-decoded); file
    paths in :data:`CA_FILE_ENV`, :data:`CLIENT_CERT_ENV`, :data:`CLIENT_KEY_ENV`;
    :data:`INSECURE_SKIP_VERIFY_ENV`; seconds in :data:`TIMEOUT_ENV`, a count in
    :data:`RETRIES_ENV`. A variable set to an empty text counts as unset.

    Raises:
        ConfigError: the headers are refused (see :func:`parse_headers`),
            :data:`INSECURE_SKIP_VERIFY_ENV` is not a boolean, :data:`TIMEOUT_ENV` or
            :data:`RETRIES_ENV` is not a number, what :class:`Transport` refuses (both token
            or both password variables, a password without its user...), or a TLS file cannot
            be read or is not PEM; the message names the variable, never a value.
    """
    env = os.environ if environ is None else environ
    settings = {
        "headers": [item for item in env.get(HEADERS_ENV, "").split(",") if item.strip()],
        "insecure_skip_verify": _flag(env, INSECURE_SKIP_VERIFY_ENV),
        "bearer_token_env": TOKEN_ENV if env.get(TOKEN_ENV) else None,
        "bearer_token_file": env.get(TOKEN_FILE_ENV) or None,
        "basic_user": env.get(USER_ENV) or None,
        "basic_password_env": PASSWORD_ENV if env.get(PASSWORD_ENV) else None,
        "basic_password_file": env.get(PASSWORD_FILE_ENV) or None,
        "ca_file": env.get(CA_FILE_ENV) or None,
        "client_cert": env.get(CLIENT_CERT_ENV) or None,
        "client_key": env.get(CLIENT_KEY_ENV) or None,
        "timeout_s": _number(env, TIMEOUT_ENV, float, "a number of seconds > 0, such as 30"),
        "retries": _number(env, RETRIES_ENV, int, "a whole number >= 0, such as 2"),
    }
    return transport_options(settings, ENVIRONMENT)


def _flag(env: Mapping[str, str], name: str) -> bool:
    """The boolean in variable ``name`` of ``env`` (unset: false).

    Raises:
        ConfigError: it is none of true/false, 1/0, yes/no, on/off (any case).
    """
    value = env.get(name, "").strip().lower()
    if value not in _TRUE + _FALSE:
        raise ConfigError(f"${name} is not a boolean: set it to true or false, or unset it")
    return value in _TRUE


def _number(env: Mapping[str, str], name: str, kind: type[float], rule: str) -> float | None:
    """The number of type ``kind`` (``float`` or ``int``) in variable ``name`` of ``env``
    (unset or empty: ``None``); its range is :class:`Transport`'s to check.

    Raises:
        ConfigError: it is no such number; the message says what it should be (``rule``).
    """
    text = env.get(name, "").strip()
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        noun = "a whole number" if kind is int else "a number"
        raise ConfigError(f"${name} is not {noun}: set it to {rule}, or unset it") from None
