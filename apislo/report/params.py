"""Report parameters: names checked (no secrets, none the notebook does not define), command-line
values typed like papermill's; the same credentials redacted in what a report quotes from its
kernel (:func:`redact_credentials`)."""

from __future__ import annotations

import base64
import keyword
import re
import symtable
from collections.abc import Collection, Mapping, Sequence
from datetime import date, time
from numbers import Integral, Real
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

from apislo.errors import ConfigError
from apislo.text import JWT, SECRET_NAME_PATTERN, is_secret_key

__all__ = [
    "URL_PATTERN",
    "check_defined",
    "check_parameters",
    "credential_in",
    "defined_parameters",
    "parse_value",
    "redact_credentials",
    "url_secret_key",
]

#: Where a URL starts: ``scheme://``, or a scheme-relative ``//`` at the start of the text or
#: after a character other than a letter, digit, ``_`` or ``/`` (``/a//b`` and ``x//y`` are
#: paths, not URLs).
_URL_START = r"(?:(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*+:|(?<![\w/]))//"
#: A URL in a text: from its start (:data:`_URL_START`) to a blank, a quote or an angle bracket.
URL_PATTERN = re.compile(_URL_START + r"[^\s\"'<>]+", re.IGNORECASE)
#: A URL's ``//`` and host (with its userinfo and port): from the first ``//`` of a
#: :data:`URL_PATTERN` match to its path, query or fragment.
_HOST = re.compile(r"//[^/?#]*")
#: What ends a token given as the user alone, as :func:`_has_url_credentials` reads one.
_NOT_IN_TOKEN = frozenset("?#\"'<>")
#: A parameter's or key's name that a refusal shows (``X-Api-Key``): not one that may carry a
#: value too (``api_key=...``, ``Authorization: Bearer ...``).
_SHOWN_NAME = re.compile(r"[A-Za-z_][\w-]*\Z")
#: apislo's own run ids, a report's (``20261130T024924Z-a1b2c3``:
#: :func:`~apislo.report.runner.new_run_id`) and an ingest's (``20261130T024924-1a2b3c4d``, in
#: its Parquet files' names, with part numbers after it: ``-0-0.parquet``): tokens by their
#: shape (20 or more base64url characters mixing upper-case letters, lower-case letters and
#: digits), which no credential has. One is a run of its own, not part of a longer run of
#: base64url characters (``AbCd20261130T024924Z-a1b2c3-Ef9`` is a token); group 1 is the
#: ``Bearer`` or ``Basic`` scheme before it, when there is one (a credential then, as any token
#: after a scheme is).
_RUN_ID = re.compile(
    r"((?i:bearer|basic)\s+)?(?<![A-Za-z0-9_])[0-9]{8}T[0-9]{6}Z?-[0-9a-f]{6,8}"
    r"(?=(?:-[0-9]+)*(?![A-Za-z0-9_-]))"
)
#: An ANSI escape sequence (CSI, such as ``\x1b[31m``), as IPython writes around the words of a
#: traceback: :func:`redact_credentials` reads a text without them.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
#: A PromQL label matcher with a double-quoted value (``auth="basic"``, ``code=~"5.."``);
#: group 1 is the label's name, group 2 the rest.
_MATCHER = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)(\s*(?:=~|!~|!=|=)\s*"(?:[^"\\\n]|\\.)*")')
#: A PromQL series selector: a metric name (where a word starts, so each word is tried once),
#: then label matchers in braces (``http_requests_total{job="api", auth="basic"}``). A bare
#: ``{name="value"}`` is not taken for one: such text may be a table (Lua's
#: ``{password="..."}``).
_SELECTOR = re.compile(
    rf"(?<![A-Za-z0-9_:])[A-Za-z_:][A-Za-z0-9_:]*"
    rf"\{{\s*{_MATCHER.pattern}(?:\s*,\s*{_MATCHER.pattern})*\s*,?\s*\}}"
)
#: What :func:`_set_aside` marks text with: two characters of Unicode's private use area, which
#: no rule of the redaction takes for part of a name or a token.
_MARKS = ("\ue000", "\ue001")
#: A mark of :func:`_set_aside`; group 1 is its index.
_MARK = re.compile(f"{_MARKS[0]}([0-9]+){_MARKS[1]}")
#: What a refusal of a secret says to do instead.
_USE_ENVIRONMENT = (
    " Secrets are never passed as parameters (they would be saved in the notebook and shown in "
    "the report): set it in the environment instead (e.g. APISLO_PROMETHEUS_TOKEN), where "
    "apislo reads it."
)
#: A header line (``Name: value``) at the start of a text or after a comma or line break, named
#: as a credential that apislo knows (:data:`~apislo.text.SECRET_NAME_PATTERN`); group 1 is
#: its value, to the next comma or line break. The blanks before the name hold no line break
#: (a later one starts the line): with ``\s*`` there, each of a run of line breaks was tried
#: against every one after it, and a value of 8,000 blank lines took 40 seconds (until
#: 2026-11-30).
_HEADER_LINE = re.compile(
    rf"(?:^|[,\n])[^\S\n]*({SECRET_NAME_PATTERN})\s*:\s*(\S[^,\n]*)", re.IGNORECASE
)
#: The Bearer or Basic scheme (any case, a word of its own: not ``/plans/basic``) and RFC
#: 7235's token68 after it; group 1 is the scheme, group 2 the token.
_SCHEME_CREDENTIAL = re.compile(
    r"(?<![\w./-])(bearer|basic)\s+([A-Za-z0-9._~+/-]+=*)", re.IGNORECASE
)
#: A JSON Web Token where a run of base64url characters starts (not ``heyJude``).
_JWT = re.compile(rf"(?<![\w-]){JWT}")
#: A ``key=value`` pair as in a query string, its value not quoted, whose key is a credential's
#: that apislo knows (:data:`~apislo.text.SECRET_NAME_PATTERN`); group 1 is the value.
_KEY_VALUE = re.compile(rf"(?:^|[\s?&;#,])({SECRET_NAME_PATTERN})=([^\s&;#,\"']+)", re.IGNORECASE)
#: The credential names that are words of everyday text too (``Key: region``, ``auth=basic``,
#: ``Authorization: required``): only after these may a word stand (:func:`_named_credential`).
#: After any other (``token=``, ``X-Api-Key:``, ``password=``, ``Cookie:``) every value is
#: refused: a password, a chosen key or a base32 key without digits is often a word.
_WORD_NAME = re.compile(r"key|auth|authorization|sig|signature", re.IGNORECASE)
#: A word, which no credential is (:func:`_is_word`): letters, in one case or capitalised,
#: in parts joined by ``-`` or ``_`` (``region``, ``basic``, ``auth-service``, ``Basic``,
#: ``AUTH_MODE``), a part in capitals 7 letters at most (``JBSWYDPEHPKPXPQR``, a base32
#: key, is none); shorter than :data:`_WORD_MAX`.
_WORD = re.compile(r"(?:[a-z]+|[A-Z][a-z]*|[A-Z]{2,7})(?:[-_](?:[a-z]+|[A-Z][a-z]*|[A-Z]{2,7}))*")
#: The length (characters) from which a run of letters is taken for a token, a word or not.
_WORD_MAX = 20


def _has_url_credentials(text: str) -> bool:
    """Whether a URL in ``text`` carries a userinfo: ``user:password@`` or ``user@`` (a token
    is often the user alone), also when a ``/``, ``?`` or ``#`` in the password or token ends
    the host part before its ``@`` (``//ann:pa/ss@host`` reads as host ``ann``, port ``pa``,
    and ``//ab/cd@host`` as host ``ab``).

    After a URL's start (:data:`_URL_START`), the text up to the next ``@`` (no space in it) is
    a userinfo when it holds no ``/``; or a ``:`` comes before its first ``/``, ``?`` or ``#``
    (``//host:8080/@x`` may be ``user:pass/@``, so it counts); or it holds no ``?``, ``#``,
    quote or angle bracket and does not end with a ``/``. So an ``@`` right after a ``/``
    belongs to a path (``//cdn.example/@scope/pkg``, ``https://mastodon.social/@ann``), and
    one in a query or fragment after a ``/`` to them (``//cal.example/embed?src=ann@x.org``,
    which a token holding a ``/`` and then a ``?`` or ``#`` would be: base64 holds neither).

    Each text between two ``@`` (or spaces) is read once, from its end, so the time is linear
    in the length of ``text``: until 2026-11-29 a regular expression searched on to the next
    ``@`` from every ``//``, and a 20 KB value holding many (``a://xa://x...``) or a long run
    of letters (each a scheme's possible start) took 1 to 7 seconds.
    """
    for word in re.split(r"\s+", text):
        for piece in word.split("@")[:-1]:  # (each followed by an @)
            slash = other = colon = False  # in piece[end:]: a /; a ? # or quote; a : first
            for end in range(len(piece) - 1, 1, -1):
                char = piece[end]
                colon = char == ":" or (colon and char not in "/?#")
                slash = slash or char == "/"
                other = other or char in _NOT_IN_TOKEN
                if piece[end - 2 : end] != "//" or re.match(r"[\w/]", piece[end - 3 : end - 2]):
                    continue
                if colon or not slash or not (other or piece.endswith("/")):
                    return True
    return False


def redact_credentials(texts: Sequence[str]) -> list[str]:
    """``texts`` with the credentials :func:`check_parameters` refuses in a value replaced by
    ``REDACTED``, for what a report quotes from its kernel (an exception's text, a cell's
    output), which no parameter check saw: a URL's ``user:password@`` or ``token@``, also with
    a ``/`` in the password (``https://ann:pa/ss@host`` -> ``https://REDACTED@host``), and
    credentials in query strings, path parameters (``;jsessionid=``), free text (``token=``,
    ``Authorization: Bearer``), JSON members and cookies, as the quarantine redacts log lines
    (:func:`~apislo.sources.logs.fields.scrub_line_secrets`).

    Two things shaped like credentials are left as they are (:func:`_set_aside`): apislo's run
    ids, which are tokens by their shape (``20261130T024924Z-a1b2c3``), and the label names of
    PromQL selectors, which are a credential's names by theirs (``up{auth="basic"}``); a
    credential in a matcher's value is still redacted by its shape (a token, ``Bearer ...``),
    and a run id by the name before it (``token=``). Until 2026-11-30 both were written
    ``REDACTED`` in a failed run's error.

    A text is read as shown, without its ANSI escape sequences (:data:`_ANSI`: the colours of
    IPython's tracebacks); one holding a credential comes back redacted without them, one
    holding none as it was, colours included. Until 2026-11-30 an escape was read as part of
    the word after it: ``\\x1b[31mPrometheusUnavailableError`` was a token (``31m`` put
    digits in it), so a failed notebook's traceback named its error ``[REDACTED``, its escape
    cut, and ``token=\\x1b[33m"s3cret"`` kept the secret (``token=REDACTED"s3cret"``).

    >>> redact_credentials(["at https://ann:pa/ss@prom.example/p;jsessionid=abc is down"])
    ['at https://REDACTED@prom.example/p;jsessionid=REDACTED is down']
    """
    plain = [_ANSI.sub("", text) for text in texts]
    redacted = _redact_plain(plain)
    return [
        text if new == shown else new
        for text, shown, new in zip(texts, plain, redacted, strict=True)
    ]


def _redact_plain(texts: list[str]) -> list[str]:
    """``texts`` (without ANSI escapes) redacted as :func:`redact_credentials` says."""
    import polars as pl

    from apislo.sources.logs.fields import scrub_line_secrets

    masked = [_set_aside(text) for text in texts]
    frame = pl.DataFrame({"text": [text for text, _ in masked]}, schema={"text": pl.String})
    scrubbed = frame.select(scrub_line_secrets(pl.col("text")))["text"].to_list()
    return [
        _put_back(re.sub(r"\S+", _redact_userinfo, text), aside)
        for text, (_, aside) in zip(scrubbed, masked, strict=True)
    ]


def _set_aside(text: str) -> tuple[str, list[str]]:
    """``text`` with each of apislo's run ids (:data:`_RUN_ID`; not one after ``Bearer`` or
    ``Basic``) and each label name of a PromQL selector (:data:`_SELECTOR`) replaced by a mark
    (:data:`_MARKS` around its index), and what they replaced, in order; ``text`` as it is when
    it holds a mark already (it is then redacted whole, as before)."""
    aside: list[str] = []
    if _MARKS[0] in text or _MARKS[1] in text:
        return text, aside

    def mark(kept: str) -> str:
        aside.append(kept)
        return f"{_MARKS[0]}{len(aside) - 1}{_MARKS[1]}"

    def mark_names(selector: re.Match[str]) -> str:
        return _MATCHER.sub(lambda m: mark(m.group(1)) + m.group(2), selector.group())

    text = _RUN_ID.sub(lambda found: found.group() if found.group(1) else mark(found.group()), text)
    return _SELECTOR.sub(mark_names, text), aside


def _put_back(text: str, aside: list[str]) -> str:
    """``text`` with the marks of :func:`_set_aside` replaced by what they stood for (a mark
    that redaction removed, as in ``token=REDACTED``, stays removed); as it is when nothing was
    set aside, marks that the text held itself included (until 2026-11-30 one such as
    ``\\ue0000\\ue001`` raised an ``IndexError``, and a failed run's notebook was not kept)."""
    if not aside:
        return text
    return _MARK.sub(lambda found: aside[int(found.group(1))], text)


def _redact_userinfo(word: re.Match[str]) -> str:
    """A word (between blanks) holding a URL with a userinfo (as :func:`_has_url_credentials`
    reads one) with all from its first URL's ``//`` to its last ``@`` replaced by
    ``REDACTED``. A ``://`` after no scheme starts none: ``http(s)://USER:PASSWORD@HOST`` is
    the pattern apislo's own advice shows."""
    text = word.group(0)
    start = re.search(_URL_START, text, re.IGNORECASE)
    if start is None or text[start.start() - 1 : start.start()] == ":":
        return text
    if not _has_url_credentials(text):
        return text
    return f"{text[: start.end()]}REDACTED{text[text.rindex('@') :]}"


def _split_url(url: str) -> SplitResult:
    """``url`` (a :data:`URL_PATTERN` match) split by ``urlsplit``; when its host makes
    ``urlsplit`` raise a ``ValueError`` (a ``[`` or ``]`` that is no IPv6 address's, as the
    match of ``[https://grafana.example]`` ends with one; a character that NFKC makes a ``/``),
    split with another host in its place, its path, query and fragment as they are. Until
    2026-11-30 the ``ValueError`` stopped a report parameter's check with a traceback."""
    try:
        return urlsplit(url)
    except ValueError:
        return urlsplit(_HOST.sub("//host", url, count=1))


def url_secret_key(text: str) -> str | None:
    """The first credential-looking key in a URL's query, fragment or path parameters in
    ``text`` (``?access_token=``, ``#access-token=``, ``?X-Api-Key=``, ``;jsessionid=``), any
    case, ``_`` or ``-`` or percent-encoded (see :func:`~apislo.text.is_secret_key`); ``None``
    when there is none. A URL whose host ``urlsplit`` refuses is read all the same
    (:func:`_split_url`).

    >>> url_secret_key("https://prom.example/?accessToken=x"), url_secret_key("http://h:9090")
    ('accessToken', None)
    """
    for match in URL_PATTERN.finditer(text):
        parts = _split_url(match.group(0))
        fields = re.split(r"[&;]", parts.query) + re.split(r"[&;]", parts.fragment)
        fields += parts.path.split(";")[1:]
        for item in fields:
            key, has_value, _ = item.partition("=")
            if has_value and is_secret_key(key):
                return key
    return None


def check_parameters(parameters: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validate report parameters and return them as a plain dict.

    Parameters are written into the executed notebook and shown in the report, so a name that
    looks like a secret (:func:`~apislo.text.is_secret_key`: ``password``, ``api_key``,
    ``Authorization``...), or a URL carrying credentials (``https://user:pw@host``, also
    scheme-relative as ``//user:pw@host``, or with a ``/`` in the password as
    ``https://user:p/w@host``, ``https://host/?token=...``,
    ``https://host/#access_token=...``: see :func:`url_secret_key`), or a value holding a
    credential under any name (``Authorization: Bearer ...``, a JSON Web Token,
    ``access_token=...``: see :func:`credential_in`; until 2026-11-30 they passed), is refused,
    at any depth of a list or mapping value too: ``{"source": {"password": ...}}`` is refused as
    ``source.password``, ``{"sources": [{"token": ...}]}`` as ``sources[0].token`` (until
    2026-11-30 a key inside a value was not checked, and its secret reached the notebook and
    the report). No message quotes a value. Values come back as JSON holds them (the notebook's
    metadata and the worker's request are JSON): a date or time, as YAML reads
    ``start: 2026-11-01``, becomes its ISO 8601 text.

    Raises:
        ConfigError: a name is not a Python identifier or is a keyword; a name or a key inside
            a value looks like a secret; or a value is (or holds) a URL with credentials or
            another credential (:func:`credential_in`), or holds itself (a YAML alias).
    """
    checked: dict[str, Any] = {}
    for name, value in (parameters or {}).items():
        _refuse_secret_name(None, str(name))  # (first: `api_key=...` is not an identifier)
        if not str(name).isidentifier():
            raise ConfigError(
                f"parameter name {name!r} is not a Python identifier; use letters, digits and _"
            )
        if keyword.iskeyword(str(name)):  # (papermill's `class = 1` is a SyntaxError)
            raise ConfigError(f"parameter name {name!r} is a Python keyword; use another name")
        try:
            checked[str(name)] = _plain(str(name), value)
        except RecursionError:  # (a YAML alias inside its own anchor, `apis: &a [x, *a]`)
            raise ConfigError(
                f"parameter {name!r} holds itself or is nested too deep; give plain values"
            ) from None
    return checked


def _refuse_secret_name(parent: str | None, name: str) -> None:
    """Refuse ``name``, a parameter's (``parent`` is ``None``) or a key's inside the value at
    ``parent`` (``source`` for ``source.password``), when it looks like a credential's
    (:func:`~apislo.text.is_secret_key`).

    Raises:
        ConfigError: naming its path when ``name`` is a name (:data:`_SHOWN_NAME`); else not
            showing it, as it may hold the secret itself (``Authorization: Bearer ...``,
            ``api_key=...``: until 2026-11-30 such a key was quoted, its secret with it, into
            the history and the index for a job file). Never the value.
    """
    if not is_secret_key(name):
        return
    if _SHOWN_NAME.match(name):
        what = f"parameter {name if parent is None else f'{parent}.{name}'!r}"
    else:
        what = "a parameter name" if parent is None else f"a key in parameter {parent!r}"
        what += " (not shown: it may hold the secret)"
    raise ConfigError(f"{what} looks like a secret.{_USE_ENVIRONMENT}")


def _plain(path: str, value: Any) -> Any:
    """``value``, at ``path`` in the parameters (``sources[0].url``), in JSON types: lists and
    mappings item by item (keys as text), a pandas or polars frame or series as its
    ``to_dict()`` and a numpy array or pandas index as its list (until 2026-11-30 their
    ``str()``, keys and values shown, so ``pd.Series({"token": ...})`` passed its secret and
    ``df["api"].unique()`` reached the notebook as the text ``"['a' 'b']"``), a number or
    boolean such as numpy's ``int64`` or ``bool_`` as a Python one, a date or time as ISO 8601
    text, anything else JSON has no type for as its ``str()``.

    Raises:
        ConfigError: a text in it (a mapping's key too) is a URL with credentials or holds
            another credential (:func:`credential_in`), named by the path of the list or mapping
            holding it; or a mapping's key looks like a secret, named by its path.
    """
    if isinstance(value, Mapping):
        plain: dict[str, Any] = {}
        for key, item in value.items():
            text = _checked_text(path, str(key), key=True)
            plain[text] = _plain(f"{path}.{text}", item)
        return plain
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(f"{path}[{i}]", v) for i, v in enumerate(value)]
    if callable(getattr(value, "to_dict", None)):  # (a pandas Series or DataFrame, polars')
        return _plain(path, value.to_dict())
    listed = getattr(value, "tolist", None) or getattr(value, "to_list", None)
    if getattr(value, "shape", ()) != () and callable(listed):  # (numpy's array, polars' Series)
        return _plain(path, listed())
    if value is None or isinstance(value, bool | int | float):
        return value
    if getattr(value, "dtype", None) == "bool" and getattr(value, "shape", None) == ():
        return bool(value)  # (numpy's bool_, whose text "False" a notebook would take as true)
    if isinstance(value, Real):  # (numpy's int64 and float32: a notebook's `top` needs a number)
        return int(value) if isinstance(value, Integral) else float(value)
    return _checked_text(path, value.isoformat() if isinstance(value, date | time) else str(value))


def _checked_text(path: str, text: str, *, key: bool = False) -> str:
    """``text``, a value (or, with ``key``, a mapping's key) at ``path`` in the parameters, once
    checked: no URL with credentials (first: a key that is one is never shown), no key named
    like a secret (:func:`_refuse_secret_name`), no credential (:func:`credential_in`).

    Raises:
        ConfigError: naming ``path`` and what ``text`` holds, never quoting it.
    """
    if _has_url_credentials(text) or url_secret_key(text):
        raise ConfigError(
            f"parameter {path!r} holds a URL with credentials (user:password@ or token@, or "
            "a credential in its query or fragment such as ?token= or #access_token=); pass "
            "the URL without them (an @ of its path written as %40) and put the token in the "
            "environment (e.g. APISLO_PROMETHEUS_TOKEN)."
        )
    if key:
        _refuse_secret_name(path, text)
    if found := credential_in(text):
        raise ConfigError(f"parameter {path!r} holds a credential ({found}).{_USE_ENVIRONMENT}")
    return text


def credential_in(text: str) -> str | None:
    """What credential ``text`` (a parameter's value) holds, as a message names it, or ``None``:

    * a header line (``Name: value``, at the start of ``text`` or after a comma or line break,
      as ``$APISLO_PROMETHEUS_HEADERS`` and ``--header`` write one) named as a credential that
      apislo knows, one of :data:`~apislo.text.SECRET_QUERY_KEYS` or
      :data:`~apislo.text.SECRET_JSON_KEYS` in any case, with or without ``_`` or ``-``
      (``Authorization``, ``X-Api-Key``, ``Cookie``, ``Token``, ``Key``; not ``Session`` or
      ``X-Scope-OrgID``), whose value is no word (:func:`_is_word`);
    * a value of the Bearer or Basic scheme (:func:`_is_scheme_credential`);
    * a JSON Web Token (:data:`~apislo.text.JWT`) where a run of base64url characters starts;
    * a ``key=value`` pair as in a query string (after the start, a blank, ``?``, ``&``,
      ``;``, ``#`` or ``,``; the value not quoted) whose key is such a name (``token=``,
      ``access_token=``, ``apiKey=``, ``sig=``, ``jsessionid=``; not ``monkey=`` or
      ``sort_key=``), whose value is no word.

    A word is what a credential is not, where the name is a word of everyday text too
    (``key``, ``auth``, ``authorization``, ``sig``, ``signature``): ``Key: region`` and
    ``auth=basic`` pass, and
    so does ``Bearer auth-service``; until 2026-11-30 they were refused. After any other name
    (``token=changeme``, ``X-Api-Key: letmein``, ``password=hunter``) every value is refused,
    as chosen keys and passwords often are words. The trade-off: a credential that is a word
    passes after those names and after Bearer (``Key: letmein``, ``Bearer horse-battery``);
    a random key is one only by chance (one with a digit, with mixed case inside a part, or
    with 8 capitals in a row never is), and a run of 20 letters or more is taken for a token,
    a word or not.

    URLs with credentials are :func:`url_secret_key`'s and :func:`_has_url_credentials`'s.
    Route names with ids (``/orders/{id}``, ``/users/42``), paths, ``Basic plan`` and PromQL
    (``auth="basic"``: its value is quoted) hold none.

    >>> credential_in("Authorization: Bearer abc.def.ghi"), credential_in("Key: region")
    ('a header line named like one, such as Authorization: or X-Api-Key:', None)
    """
    if any(_named_credential(*line.groups()) for line in _HEADER_LINE.finditer(text)):
        return "a header line named like one, such as Authorization: or X-Api-Key:"
    for scheme in _SCHEME_CREDENTIAL.finditer(text):
        if _is_scheme_credential(scheme.group(1), scheme.group(2)):
            return "a value of the Bearer or Basic scheme, as an Authorization header sends it"
    if _JWT.search(text):
        return "a JSON Web Token, eyJ..."
    if any(_named_credential(*pair.groups()) for pair in _KEY_VALUE.finditer(text)):
        return "a key=value pair named like one, such as token=... or api_key=..."
    return None


def _named_credential(name: str, value: str) -> bool:
    """Whether ``value``, given under the credential name ``name``, is a credential: any value
    but a word after a name that is a word of everyday text too (:data:`_WORD_NAME`)."""
    return _WORD_NAME.fullmatch(name) is None or not _is_word(value.strip())


def _is_word(text: str) -> bool:
    """Whether ``text`` is a word (:data:`_WORD`: ``region``, ``auth-service``, ``Basic``),
    shorter than :data:`_WORD_MAX` characters; not ``s3cr3t``, ``aBcDeFgH``, ``Bearer x``."""
    return len(text) < _WORD_MAX and _WORD.fullmatch(text) is not None


def _is_scheme_credential(scheme: str, token: str) -> bool:
    """Whether ``token`` after ``scheme`` (``bearer`` or ``basic``, any case) is a credential:
    for Basic, base64 of printable text holding a ``:`` (``user:password``: ``Basic plan`` and
    ``Basic subscription`` are none); for Bearer, 8 characters or more and no word
    (:func:`_is_word`: ``Bearer abc.def.ghi`` and a token of 20 characters or more are
    credentials, ``Bearer authentication`` and ``Bearer auth-service`` none; until 2026-11-30
    a token holding a ``-`` was one)."""
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(token, validate=True).decode()
        except ValueError:  # (binascii.Error and UnicodeDecodeError both are)
            return False
        return ":" in decoded and decoded.isprintable()
    return len(token) >= 8 and not _is_word(token)


def defined_parameters(nb: Any, notebook: str | Path) -> list[str] | None:
    """The names the parameters cell of ``nb`` (the notebook ``notebook``, read by nbformat)
    defines, in its order: the first cell tagged ``parameters``, after which papermill injects
    a run's values; ``None`` when no cell is tagged so (papermill then injects them first).

    The cell is read as its IPython kernel reads it (magics and ``!`` commands turned into
    Python by IPython's input transformer, so ``%matplotlib inline`` passes and ``files = !ls``
    defines ``files``), not line by line as ``papermill.inspect_notebook`` does (which skips a
    line holding two ``=``, ``top = 10  # >= 1`` among them). The names it defines are those
    Python's :mod:`symtable` says it binds at the top level: ``days = 7``, ``top: int = 10``,
    ``a, *b = 1, 2``, also inside ``if``, ``try``, ``for`` and ``with`` blocks, an import's
    (``from x import days``), a function's or class's; not ``obj.attr = 1`` or a function's
    local names (until 2026-11-30 only the top-level assignments counted, and a magic failed
    every run of the notebook, parameters or none).

    Raises:
        ConfigError: the cell is not Python even so (a syntax error), naming the line.
    """
    cell = next((c for c in nb.cells if "parameters" in c.metadata.get("tags", [])), None)
    if cell is None:
        return None
    if cell.cell_type != "code":
        return []
    from IPython.core.inputtransformer2 import TransformerManager  # (the kernel's own reading)

    try:
        table = symtable.symtable(TransformerManager().transform_cell(cell.source), "", "exec")
    except SyntaxError as exc:
        where = f"line {exc.lineno}: " if exc.lineno else ""
        raise ConfigError(
            f"{notebook}: its parameters cell is not Python apislo can read ({where}{exc.msg}); "
            "write its defaults as plain assignments such as `days = 7`"
        ) from None
    return [s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()]


def check_defined(
    parameters: Collection[str], defined: list[str] | None, notebook: str | Path
) -> None:
    """Refuse parameter names that ``notebook``'s parameters cell does not define
    (:func:`defined_parameters`): papermill injects any name, so a misspelt one (``dyas``)
    would run the report with the notebook's default, silently. Nothing is allowed besides:
    papermill injects no name of its own (its ``pm`` values only fill in paths), and apislo
    keeps a run's id and provenance in the notebook's metadata, not in parameters.

    Raises:
        ConfigError: naming each unknown name, the defined name closest to it when one is close
            (:func:`difflib.get_close_matches`), and the defined names.
    """
    known = defined or []
    unknown = [name for name in parameters if name not in known]
    if not unknown:
        return
    what = "parameter" if len(unknown) == 1 else "parameters"
    names = ", ".join(_with_closest(name, known) for name in unknown)
    if defined is None:
        raise ConfigError(
            f"unknown {what} {names}: {notebook} has no cell tagged parameters, so it takes "
            "none; tag the cell that sets its defaults `parameters`"
        )
    listed = ", ".join(sorted(known)) or "nothing"
    raise ConfigError(f"unknown {what} {names}: {notebook}'s parameters cell defines {listed}")


def _with_closest(name: str, defined: list[str]) -> str:
    """``'dyas' (did you mean 'days'?)``, or ``'zzz'`` when no defined name is close."""
    import difflib  # (only a refusal needs it)

    close = difflib.get_close_matches(name, defined, n=1)
    return f"{name!r} (did you mean {close[0]!r}?)" if close else repr(name)


def parse_value(text: str) -> Any:
    """Type a command-line value: int, float, ``true``/``false``, ``none``, else the string.

    >>> parse_value("7"), parse_value("0.99"), parse_value("True"), parse_value("payments")
    (7, 0.99, True, 'payments')
    """
    lowered = text.strip().lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    if lowered in {"none", "null"}:
        return None
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            continue
    return text
