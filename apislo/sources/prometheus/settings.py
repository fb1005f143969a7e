"""Connection settings given as text, mapped onto :class:`Transport` in one place: the options of
the commands that read Prometheus (``apislo prom``, ``apislo slo --source URL``) and the
``APISLO_PROMETHEUS_*`` environment variables that reports read in their kernel (``apislo report
run``, scheduled jobs, the notebooks), which take no secret as a parameter.

Secrets are never values here: a bearer token or a basic-auth password is named by the variable
or file holding it, read by :class:`Transport` at each request. A header's value may be a key: no
message shows one, and a command line, which ``ps`` shows, takes no header whose name says it
holds one (``X-Api-Key``): the commands read such headers from the variable their
``--headers-env`` names, as reports read :data:`HEADERS_ENV` (:func:`command_options`). Each
message names a setting as its source does (:class:`SettingsSource`): the option on a command
line, the variable in the environment.

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
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from apislo.errors import ConfigError
from apislo.text import HALF_PAIR, is_secret_key, lone_surrogate

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
    "check_header_name",
    "check_lone_surrogate",
    "check_tls_files",
    "check_url_userinfo",
    "command_options",
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
#: Extra headers, ``NAME:VALUE`` separated by commas (``X-Scope-OrgID:team-a``); names and values
#: are percent-decoded, as OpenTelemetry's ``OTEL_EXPORTER_OTLP_HEADERS`` (``%2C`` is a comma).
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
#: An HTTP field name (RFC 9110 ``token``).
_FIELD_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


@dataclass(frozen=True)
class SettingsSource:
    """Where settings come from, as error messages name it.

    Attributes:
        one: one header of it, unnamed (``a --header``).
        named: one header of it by name, a template with ``{name}`` (``--header {name}``); also
            how :class:`Transport`'s messages name a header given there.
        credential: why a Bearer or Basic ``Authorization`` header is refused there, and what
            to give instead.
        names: the name of each setting there, by its :class:`Transport` field (``ca_file``
            -> ``--ca-file``), for the messages of :class:`Transport` (its ``setting_names``)
            and of :func:`check_tls_files`.
        percent_decoded: whether header names and values are percent-decoded (``%2C`` is a
            comma), as OpenTelemetry's Python SDK reads ``OTEL_EXPORTER_OTLP_HEADERS``.
        secret_header: why a header named like a credential (``X-Api-Key``, ``Cookie``, an
            ``Authorization`` of another scheme: :func:`~apislo.text.is_secret_key`) is refused
            there, and where to give it instead; empty where it is taken.
    """

    one: str
    named: str
    credential: str
    names: Mapping[str, str]
    percent_decoded: bool = False
    secret_header: str = ""


#: Why a command line, which ``ps`` and the shell history show, takes no credential.
_ON_COMMAND_LINE = "puts a credential on the command line, where ps and the shell history show it"
#: Where a command takes a bearer token or a basic-auth password.
_TOKEN_OPTIONS = (
    "give a bearer token with --bearer-token-env or --bearer-token-file (basic auth: "
    "--basic-user with --basic-password-env or --basic-password-file)"
)
#: The options of a command line.
COMMAND_LINE = SettingsSource(
    "a --header",
    "--header {name}",
    f"{_ON_COMMAND_LINE}: {_TOKEN_OPTIONS}",
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
    secret_header=f"{_ON_COMMAND_LINE}: put it in a variable and name that with --headers-env "
    f"(--headers-env {HEADERS_ENV}; NAME:VALUE, comma-separated, a comma in a value written %2C, "
    "a % %25)",
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


def _command_variable(variable: str) -> SettingsSource:
    """The variable a command's ``--headers-env`` names, read as :data:`HEADERS_ENV` is, beside
    the command's options, which take a Bearer or Basic ``Authorization``'s credential."""
    return replace(
        ENVIRONMENT,
        one=f"a header in ${variable} (comma-separated)",
        named=f"header {{name}} in ${variable}",
        credential=f"is a credential, which apislo reads and checks at each request: "
        f"{_TOKEN_OPTIONS}",
    )


#: What each TLS file setting holds, by its :class:`Transport` field, as messages say it.
_TLS_FILES = {
    "ca_file": "a PEM bundle of CAs, or a folder of them",
    "client_cert": "a PEM client certificate",
    "client_key": "the unencrypted PEM key of the client certificate",
}


def parse_headers(items: Iterable[str], source: SettingsSource) -> dict[str, str]:
    """``NAME:VALUE`` texts (spaces around either ignored) as a dict, names and values
    percent-decoded where ``source`` says so.

    Raises:
        ConfigError: one has no ``:`` or no name (it is not quoted: it may hold a key), a ``%``
            that starts no ``%XX`` escape where they are percent-decoded, a name (decoded) that
            is not an HTTP field name (see :func:`check_header_name`), is an ``Authorization``
            of the Bearer or Basic scheme (a credential where the token settings would neither
            check it nor re-read it, and on a command line where ``ps`` and the shell history
            show it), is named like a credential where ``source`` takes none (its
            ``secret_header``: a command line), or a name is given twice (HTTP names are
            case-insensitive; only one would be sent). The message names ``source``.
    """
    headers: dict[str, str] = {}
    for item in items:
        name, sep, value = (part.strip() for part in item.partition(":"))
        if not sep or not name:
            raise ConfigError(
                f"{source.one} is not NAME:VALUE: write it as NAME:VALUE (X-Scope-OrgID:team-a)"
            )
        if source.percent_decoded:
            name, value = (_percent_decoded(part, source) for part in (name, value))
        check_header_name(name, source.named)  # (before a message shows it)
        named = source.named.format(name=name)
        if name.lower() == "authorization" and _scheme(value) in ("bearer", "basic"):
            raise ConfigError(f"{named} {source.credential}")
        if source.secret_header and is_secret_key(name):
            raise ConfigError(f"{named} {source.secret_header}")
        if name.lower() in (known.lower() for known in headers):
            raise ConfigError(f"{named} is given twice, and only one would be sent: give it once")
        headers[name] = value
    return headers


def _percent_decoded(text: str, source: SettingsSource) -> str:
    """``text`` (a header's name or value) with its ``%XX`` escapes decoded (UTF-8), as
    OpenTelemetry's Python SDK reads ``OTEL_EXPORTER_OTLP_HEADERS``: ``%2C`` is a comma, ``%25``
    a ``%``; a ``+`` stays a ``+``.

    Raises:
        ConfigError: a ``%`` starts no escape (naming ``source``, never the value or its name,
            which may hold a key when the ``:`` is missing).
    """
    if _BARE_PERCENT.search(text):
        raise ConfigError(
            f"{source.one} has a % that starts no %XX escape: write a % as %25 (and a comma as %2C)"
        )
    return unquote(text)


def check_header_name(name: str, header: str) -> None:
    """Refuse ``name`` unless it is an HTTP field name (RFC 9110 ``token``), before a message
    shows it. ``header`` is how messages name one header, with ``{name}`` (``header {name}``,
    ``--header {name}``, ``header {name} in $APISLO_PROMETHEUS_HEADERS``).

    Raises:
        ConfigError: it is not: ``--header name 'X-Api-Key'... is not an HTTP field name
            (...)``, the name shown up to its first character that is not allowed
            (``X-Api-Key=KEY`` is a value put there).
    """
    if _FIELD_NAME.fullmatch(name):
        return
    valid = _FIELD_NAME.match(name)
    shown = f"name {valid.group() if valid else ''!r}..."
    raise ConfigError(
        f"{header.format(name=shown)} is not an HTTP field name (letters, digits and "
        "!#$%&'*+-.^_`|~; the rest of it, which may hold a key, is not shown)"
    )


def _scheme(credentials: str) -> str:
    """The authentication scheme of an ``Authorization`` value, lower case (``bearer``)."""
    return credentials.split(maxsplit=1)[0].lower() if credentials.strip() else ""


def transport_options(settings: Mapping[str, Any], source: SettingsSource) -> dict[str, Any]:
    """:class:`Transport` keywords from settings named like the command-line options: ``headers``
    (``NAME:VALUE`` texts, read by :func:`parse_headers` naming ``source``),
    ``insecure_skip_verify`` (a bool), and :class:`Transport` fields (``None``: not given).

    The keywords include ``setting_names`` and ``given_settings``, so that :class:`Transport`'s
    messages name the settings given here as ``source`` does, and those added as Python
    keywords (``Prometheus(url, **options, ca_file=...)``) as Python does. What
    :class:`Transport` refuses (a TLS file that cannot be loaded included: see
    :func:`check_tls_files`) it refuses when built from them (``Prometheus(url, **options)``):
    building it here too loaded the TLS files twice (until 2026-11-29).

    Raises:
        ConfigError: a header is refused (see :func:`parse_headers`).
    """
    given = dict(settings)
    headers = parse_headers(given.pop("headers", ()), source)
    skip_verify = given.pop("insecure_skip_verify", False)
    options = {name: value for name, value in given.items() if value is not None}
    given_here = set(options)
    if headers:
        given_here.add("headers")
    if skip_verify:
        given_here.add("verify")
    return {
        **options,
        "headers": headers,
        "verify": not skip_verify,
        "setting_names": {**source.names, "headers": source.named},
        "given_settings": frozenset(given_here),
    }


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
        ConfigError: it has such an ``@``, or is no URL (a bracketed host that is no IP address,
            a port that is no number from 0 to 65535: until 2026-11-29 a ``ValueError``
            traceback); the message shows no part of the URL.
    """
    not_a_url = ConfigError(
        f"{what} is not a valid URL: a host in [ ] must be an IP address, and a port a number "
        "from 0 to 65535 (not shown: it may hold a password)"
    )
    try:
        parts = urlsplit(url)
    except ValueError:
        raise not_a_url from None
    if "@" in parts.path + parts.query + parts.fragment:
        raise ConfigError(
            f"{what} has an @ after its host, or no http(s):// before its user:password@ (not "
            "shown: it may hold a password): write it as http(s)://USER:PASSWORD@HOST, with a "
            "/ ? or # in the user or password written as %2F, %3F or %23"
        )
    try:
        parts.port  # noqa: B018  (reading it checks it)
    except ValueError:
        raise not_a_url from None


def check_lone_surrogate(text: str, what: str) -> None:
    """Refuse a setting's ``text`` (not a secret: the URL without its ``user:password@``, a
    path prefix) holding a lone surrogate (:func:`~apislo.text.lone_surrogate`), which UTF-8
    cannot encode: a byte of a command line or a variable that is not UTF-8 (Python holds it as
    one), or half of a JSON-style ``\\ud83d\\ude00`` pair. Until 2026-11-29 such a URL was
    accepted: its requests carried bytes that are not UTF-8, and messages showed it as it is.

    Args:
        text: the setting's text.
        what: the setting, as messages name it (``the Prometheus URL``, ``path_prefix``).

    Raises:
        ConfigError: it holds one; one line naming ``what`` and the character.
    """
    if found := lone_surrogate(text):
        _, character = found
        raise ConfigError(
            f"{what} holds {character}, {HALF_PAIR}: write the character itself, or its UTF-8 "
            "bytes percent-encoded (%C3%A9 for U+00E9)"
        )


def environment_options(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """:class:`Transport` keywords from the ``APISLO_PROMETHEUS_*`` variables of ``environ``
    (default: this process's environment): a token in :data:`TOKEN_ENV` (named, not read: it is
    read at each request) or a file in :data:`TOKEN_FILE_ENV`; basic auth by :data:`USER_ENV`
    with a password in :data:`PASSWORD_ENV` (named, not read) or a file in
    :data:`PASSWORD_FILE_ENV`; headers in :data:`HEADERS_ENV` (names and values
    percent-decoded); file paths in :data:`CA_FILE_ENV`, :data:`CLIENT_CERT_ENV`,
    :data:`CLIENT_KEY_ENV`; :data:`INSECURE_SKIP_VERIFY_ENV`; seconds in :data:`TIMEOUT_ENV`, a
    count in :data:`RETRIES_ENV`. A variable set to an empty text counts as unset.

    What :class:`Transport` refuses (both token or both password variables, a password without
    its user, a TLS file that cannot be read or is not PEM...) is refused when it is built from
    these keywords (``apislo.prometheus(url, **environment_options())``), naming the variables
    set, and Python keywords added to them as Python does (see :func:`transport_options`).

    Raises:
        ConfigError: the headers are refused (see :func:`parse_headers`),
            :data:`INSECURE_SKIP_VERIFY_ENV` is not a boolean, :data:`TIMEOUT_ENV` or
            :data:`RETRIES_ENV` is not a number; the message names the variable, never a value.
    """
    env = os.environ if environ is None else environ
    settings = {
        "headers": _header_items(env),
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


def command_options(
    settings: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """:func:`transport_options` of a command's options (:data:`COMMAND_LINE`), with the headers
    of the variable its ``headers_env`` (``--headers-env``) names in ``environ`` (default: this
    process's environment) added: where a header holding a key goes, as ``--header`` takes
    none. A ``--header`` replaces the variable's header of the same name (any case). The
    variable is read only when named, so a key kept for reports in :data:`HEADERS_ENV` goes to
    no server a command is pointed at without asking.

    >>> options = command_options(
    ...     {"headers": ["X-Scope-OrgID: team-a"], "headers_env": HEADERS_ENV},
    ...     {HEADERS_ENV: "X-Api-Key: k%2C1, x-scope-orgid: team-b"},
    ... )
    >>> options["headers"]
    {'X-Api-Key': 'k,1', 'X-Scope-OrgID': 'team-a'}

    Raises:
        ConfigError: no variable is named (``--headers-env ""``), the variable named holds no
            header (unset, blank, commas), or a header is refused (see
            :func:`parse_headers`), the variable's also for a value :class:`Transport`
            refuses; the message names the variable or ``--header``, as the header was given
            (a Bearer or Basic ``Authorization`` in the variable: the command's token options).
    """
    from apislo.sources.prometheus.transport import check_headers  # (requests: when connecting)

    given = dict(settings)
    variable = given.pop("headers_env", None)
    options = transport_options(given, COMMAND_LINE)
    if variable is None:
        return options
    if not variable.strip():
        raise ConfigError("--headers-env: give the name of an environment variable")
    env = os.environ if environ is None else environ
    items = _header_items(env, variable)
    if not items:
        raise ConfigError(
            f"--headers-env: environment variable {variable} is not set or holds no header"
        )
    source = _command_variable(variable)
    inherited = parse_headers(items, source)
    check_headers(inherited, source.named)  # (Transport would not name the variable)
    check_headers(options["headers"], COMMAND_LINE.named)  # (...nor, from here on, --header)
    named = {name.lower() for name in options["headers"]}
    kept = {name: value for name, value in inherited.items() if name.lower() not in named}
    # Transport names a header in its other messages (an Authorization beside a token or a
    # URL's user:password@) as the variable does: --header takes no Authorization. Until
    # 2026-11-29 it was `header Authorization`, or `--header Authorization`, as given in Python.
    return {
        **options,
        "headers": {**kept, **options["headers"]},
        "setting_names": {**options["setting_names"], "headers": source.named},
        "given_settings": options["given_settings"] | {"headers"},
    }


def _header_items(env: Mapping[str, str], variable: str = HEADERS_ENV) -> list[str]:
    """The ``NAME:VALUE`` texts of ``variable`` in ``env`` (comma-separated)."""
    return [item for item in env.get(variable, "").split(",") if item.strip()]


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
