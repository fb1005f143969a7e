"""Report parameters: names checked (no secrets, none the notebook does not define), command-line
values typed like papermill's; the same credentials redacted in what a report quotes from its
kernel (:func:`redact_credentials`)."""

from __future__ import annotations

import keyword
import re
import symtable
from collections.abc import Collection, Mapping, Sequence
from datetime import date, time
from numbers import Integral, Real
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from apislo.errors import ConfigError
from apislo.text import is_secret_key

__all__ = [
    "check_defined",
    "check_parameters",
    "defined_parameters",
    "parse_value",
    "redact_credentials",
    "url_secret_key",
]

#: Where a URL starts: ``scheme://``, or a scheme-relative ``//`` at the start of the text or
#: after a character other than a letter, digit, ``_`` or ``/`` (``/a//b`` and ``x//y`` are
#: paths, not URLs).
_URL_START = r"(?:(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*+:|(?<![\w/]))//"
_URL = re.compile(_URL_START + r"[^\s\"'<>]+", re.IGNORECASE)
#: What ends a token given as the user alone, as :func:`_has_url_credentials` reads one.
_NOT_IN_TOKEN = frozenset("?#\"'<>")
#: A parameter's or key's name that a refusal shows (``X-Api-Key``): not one that may carry a
#: value too (``api_key=...``, ``Authorization: Bearer ...``).
_SHOWN_NAME = re.compile(r"[A-Za-z_][\w-]*\Z")


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

    >>> redact_credentials(["at https://ann:pa/ss@prom.example/p;jsessionid=abc is down"])
    ['at https://REDACTED@prom.example/p;jsessionid=REDACTED is down']
    """
    import polars as pl

    from apislo.sources.logs.fields import scrub_line_secrets

    frame = pl.DataFrame({"text": list(texts)}, schema={"text": pl.String})
    scrubbed = frame.select(scrub_line_secrets(pl.col("text")))["text"].to_list()
    return [re.sub(r"\S+", _redact_userinfo, text) for text in scrubbed]


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


def url_secret_key(text: str) -> str | None:
    """The first credential-looking key in a URL's query, fragment or path parameters in
    ``text`` (``?access_token=``, ``#access-token=``, ``?X-Api-Key=``, ``;jsessionid=``), any
    case, ``_`` or ``-`` or percent-encoded (see :func:`~apislo.text.is_secret_key`); ``None``
    when there is none.

    >>> url_secret_key("https://prom.example/?accessToken=x"), url_secret_key("http://h:9090")
    ('accessToken', None)
    """
    for match in _URL.finditer(text):
        parts = urlsplit(match.group(0))
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
    ``https://host/#access_token=...``: see :func:`url_secret_key`), is refused, at any depth of
    a list or mapping value too: ``{"source": {"password": ...}}`` is refused as
    ``source.password``, ``{"sources": [{"token": ...}]}`` as ``sources[0].token`` (until
    2026-11-30 a key inside a value was not checked, and its secret reached the notebook and
    the report). No message quotes a value. Values come back as JSON holds them (the notebook's
    metadata and the worker's request are JSON): a date or time, as YAML reads
    ``start: 2026-11-01``, becomes its ISO 8601 text.

    Raises:
        ConfigError: a name is not a Python identifier or is a keyword; a name or a key inside
            a value looks like a secret; or a value is (or holds) a URL with credentials or
            holds itself (a YAML alias).
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
    raise ConfigError(
        f"{what} looks like a secret. Secrets are never passed as parameters "
        "(they would be saved in the notebook and shown in the report): set it in the "
        "environment instead (e.g. APISLO_PROMETHEUS_TOKEN), where apislo reads it."
    )


def _plain(path: str, value: Any) -> Any:
    """``value``, at ``path`` in the parameters (``sources[0].url``), in JSON types: lists and
    mappings item by item (keys as text), a pandas or polars frame or series as its
    ``to_dict()`` and a numpy array or pandas index as its list (until 2026-11-30 their
    ``str()``, keys and values shown, so ``pd.Series({"token": ...})`` passed its secret and
    ``df["api"].unique()`` reached the notebook as the text ``"['a' 'b']"``), a number or
    boolean such as numpy's ``int64`` or ``bool_`` as a Python one, a date or time as ISO 8601
    text, anything else JSON has no type for as its ``str()``.

    Raises:
        ConfigError: a text in it (a mapping's key too) is a URL with credentials, named by the
            path of the list or mapping holding it; or a mapping's key looks like a secret,
            named by its path.
    """
    if isinstance(value, Mapping):
        plain: dict[str, Any] = {}
        for key, item in value.items():
            text = _plain(path, str(key))  # (first: a key that is a URL is never shown)
            _refuse_secret_name(path, text)
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
    text = value.isoformat() if isinstance(value, date | time) else str(value)
    if _has_url_credentials(text) or url_secret_key(text):
        raise ConfigError(
            f"parameter {path!r} holds a URL with credentials (user:password@ or token@, or "
            "a credential in its query or fragment such as ?token= or #access_token=); pass "
            "the URL without them (an @ of its path written as %40) and put the token in the "
            "environment (e.g. APISLO_PROMETHEUS_TOKEN)."
        )
    return text


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
