"""Connection settings given as text, mapped onto :class:`Transport` in one place: the options of
the commands that read Prometheus (``apislo prom``, ``apislo slo --source URL``) and the
``APISLO_PROMETHEUS_*`` environment variables that reports read in their kernel (``apislo report
run``, scheduled jobs, the notebooks), which take no secret as a parameter.

Secrets are never values here: a bearer token is named by the variable or file holding it, read
by :class:`Transport` at each request. A header's value may be a key: no message shows one.

>>> environment_options({HEADERS_ENV: "X-Scope-OrgID: team-a", TOKEN_FILE_ENV: "/run/token"})
{'headers': {'X-Scope-OrgID': 'team-a'}, 'verify': True, 'bearer_token_file': '/run/token'}
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from apislo.errors import ConfigError

__all__ = [
    "CA_FILE_ENV",
    "CLIENT_CERT_ENV",
    "CLIENT_KEY_ENV",
    "COMMAND_LINE",
    "ENVIRONMENT",
    "HEADERS_ENV",
    "INSECURE_SKIP_VERIFY_ENV",
    "TOKEN_ENV",
    "TOKEN_FILE_ENV",
    "URL_ENV",
    "SettingsSource",
    "environment_options",
    "parse_headers",
    "transport_options",
]

#: The server's URL (a ``user:password@`` in it is sent as basic auth, never shown).
URL_ENV = "APISLO_PROMETHEUS_URL"
#: A bearer token (the secret itself, read at each request).
TOKEN_ENV = "APISLO_PROMETHEUS_TOKEN"
#: The path of a file holding a bearer token (a Kubernetes secret), re-read at each request.
TOKEN_FILE_ENV = "APISLO_PROMETHEUS_TOKEN_FILE"
#: Extra headers, ``NAME:VALUE`` separated by commas (``X-Scope-OrgID:team-a``).
HEADERS_ENV = "APISLO_PROMETHEUS_HEADERS"
#: The path of a PEM bundle of CAs to trust for https.
CA_FILE_ENV = "APISLO_PROMETHEUS_CA_FILE"
#: The path of a PEM client certificate (mutual TLS).
CLIENT_CERT_ENV = "APISLO_PROMETHEUS_CLIENT_CERT"
#: The path of its PEM key, when not in the certificate's file.
CLIENT_KEY_ENV = "APISLO_PROMETHEUS_CLIENT_KEY"
#: ``true`` to skip the server certificate's check (throwaway test servers only).
INSECURE_SKIP_VERIFY_ENV = "APISLO_PROMETHEUS_INSECURE_SKIP_VERIFY"

_TRUE, _FALSE = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


@dataclass(frozen=True)
class SettingsSource:
    """Where settings come from, as error messages name it.

    Attributes:
        one: one header of it, unnamed (``a --header``).
        named: one header of it by name, a template with ``{name}`` (``--header {name}``).
        credential: why a Bearer or Basic ``Authorization`` header is refused there, and what
            to give instead.
        files: the name of each TLS file setting there (:data:`_TLS_FILES`), by its
            :class:`Transport` field (``ca_file`` -> ``--ca-file``).
    """

    one: str
    named: str
    credential: str
    files: Mapping[str, str]


#: The options of a command line.
COMMAND_LINE = SettingsSource(
    "a --header",
    "--header {name}",
    "puts a credential on the command line, where ps and the shell history show it: give a "
    "bearer token with --bearer-token-env or --bearer-token-file (basic auth: --basic-user with "
    "--basic-password-env or --basic-password-file)",
    {"ca_file": "--ca-file", "client_cert": "--client-cert", "client_key": "--client-key"},
)
#: The ``APISLO_PROMETHEUS_*`` variables.
ENVIRONMENT = SettingsSource(
    f"a header in ${HEADERS_ENV} (comma-separated)",
    f"header {{name}} in ${HEADERS_ENV}",
    f"is a credential, which apislo reads and checks at each request from ${TOKEN_ENV} or the "
    f"file named by ${TOKEN_FILE_ENV}: give the token there (basic auth: user:password@ in "
    f"${URL_ENV})",
    {
        "ca_file": f"${CA_FILE_ENV}",
        "client_cert": f"${CLIENT_CERT_ENV}",
        "client_key": f"${CLIENT_KEY_ENV}",
    },
)
#: What each TLS file setting holds, by its :class:`Transport` field, as messages say it.
_TLS_FILES = {
    "ca_file": "a PEM bundle of CAs, or a folder of them",
    "client_cert": "a PEM client certificate",
    "client_key": "the unencrypted PEM key of the client certificate",
}


def parse_headers(items: Iterable[str], source: SettingsSource) -> dict[str, str]:
    """``NAME:VALUE`` texts (spaces around either ignored) as a dict.

    Raises:
        ConfigError: one has no ``:`` or no name (it is not quoted: it may hold a key), is an
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
        named = source.named.format(name=name)
        if name.lower() == "authorization" and _scheme(value) in ("bearer", "basic"):
            raise ConfigError(f"{named} {source.credential}")
        if name.lower() in (known.lower() for known in headers):
            raise ConfigError(f"{named} is given twice, and only one would be sent: give it once")
        headers[name] = value
    return headers


def _scheme(credentials: str) -> str:
    """The authentication scheme of an ``Authorization`` value, lower case (``bearer``)."""
    return credentials.split(maxsplit=1)[0].lower() if credentials.strip() else ""


def transport_options(settings: Mapping[str, Any], source: SettingsSource) -> dict[str, Any]:
    """:class:`Transport` keywords from settings named like the command-line options: ``headers``
    (``NAME:VALUE`` texts, read by :func:`parse_headers` naming ``source``),
    ``insecure_skip_verify`` (a bool), and :class:`Transport` fields (``None``: not given).

    Raises:
        ConfigError: a header is refused (see :func:`parse_headers`), or a TLS file (see
            :func:`_check_tls_files`).
    """
    given = dict(settings)
    options: dict[str, Any] = {
        "headers": parse_headers(given.pop("headers", ()), source),
        "verify": not given.pop("insecure_skip_verify", False),
    }
    options.update({name: value for name, value in given.items() if value is not None})
    _check_tls_files(options, source)
    return options


def _check_tls_files(options: Mapping[str, Any], source: SettingsSource) -> None:
    """Load the TLS files of ``options`` as a connection does, so that one that cannot be read
    or is not PEM is refused now, naming its setting in ``source``, not at each request (where
    requests raised a bare ``OSError``, and a file that is not PEM made the server
    "unreachable" after every retry).

    Raises:
        ConfigError: the CA file, client certificate or key is missing, cannot be read or does
            not hold what it should (an encrypted key, which requests cannot open, included).
    """
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    names, holds = source.files, _TLS_FILES
    pair = f"{holds['client_cert']} and its unencrypted PEM key"
    ca_file, cert, key = (options.get(field) for field in _TLS_FILES)
    if ca_file:
        folder = os.path.isdir(ca_file)  # (requests takes a folder of CA files too)
        with _tls_file(names["ca_file"], ca_file, holds["ca_file"]):
            context.load_verify_locations(**{"capath" if folder else "cafile": ca_file})
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


@contextmanager
def _tls_file(setting: str, path: str, holds: str) -> Iterator[None]:
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


def environment_options(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """:class:`Transport` keywords from the ``APISLO_PROMETHEUS_*`` variables of ``environ``
    (default: this process's environment): a token in :data:`TOKEN_ENV` (named, not read: it is
    read at each request) or a file in :data:`TOKEN_FILE_ENV`, headers in :data:`HEADERS_ENV`,
    file paths in :data:`CA_FILE_ENV`, :data:`CLIENT_CERT_ENV`, :data:`CLIENT_KEY_ENV`, and
    :data:`INSECURE_SKIP_VERIFY_ENV`. A variable set to an empty text counts as unset.

    Raises:
        ConfigError: both token variables are set, the headers are refused (see
            :func:`parse_headers`), :data:`INSECURE_SKIP_VERIFY_ENV` is not a boolean, or a TLS
            file cannot be read or is not PEM; the message names the variable, never a value.
    """
    env = os.environ if environ is None else environ
    if env.get(TOKEN_ENV) and env.get(TOKEN_FILE_ENV):
        raise ConfigError(
            f"${TOKEN_ENV} and ${TOKEN_FILE_ENV} are both set, and only one token would be "
            "sent: unset one of them"
        )
    settings = {
        "headers": [item for item in env.get(HEADERS_ENV, "").split(",") if item.strip()],
        "insecure_skip_verify": _flag(env, INSECURE_SKIP_VERIFY_ENV),
        "bearer_token_env": TOKEN_ENV if env.get(TOKEN_ENV) else None,
        "bearer_token_file": env.get(TOKEN_FILE_ENV) or None,
        "ca_file": env.get(CA_FILE_ENV) or None,
        "client_cert": env.get(CLIENT_CERT_ENV) or None,
        "client_key": env.get(CLIENT_KEY_ENV) or None,
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
