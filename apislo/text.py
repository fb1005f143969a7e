"""Text from logs, metrics and specs made safe to show on a terminal, in a chart or on a page.

A request path, a consumer name or a label value is chosen by whoever sends the request or
writes the metric. Control characters in it would move a terminal's cursor, set its title or
forge an output line, stop vl-convert (which aborts the whole kernel on one in an SVG label), and
the bidirectional overrides reorder the text shown after them (``x\\u202efdp.exe`` reads
"xexe.pdf"). apislo writes them escaped, as NGINX writes bytes: ``\\x1B``, ``\\u202E``. HTML
escaping is the report exporter's job; this is about the characters themselves.

Credentials travel in query strings and path parameters (``?api_key=``, ``;jsessionid=``):
:data:`SECRET_KEY_PATTERN` names them, for the log parsers that redact them and the report
parameters that refuse them; :data:`SECRET_JSON_KEYS` adds the JSON members (headers) that carry
them in JSON logs, and :data:`SECRET_NAME_PATTERN` names both, for lines kept aside.
:func:`looks_secret` tells a name that may hold one (a report parameter's), :func:`is_secret_key`
a key that does (in a URL's query, a header's name), for what must take none; :data:`JWT` is the
shape of a credential that needs no name (for the quarantine, routes and report parameters).
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

if TYPE_CHECKING:
    import yaml

__all__ = [
    "HALF_PAIR",
    "JWT",
    "LONE_SURROGATE",
    "MISSING_KEY",
    "SECRET_JSON_KEYS",
    "SECRET_KEY_PATTERN",
    "SECRET_NAME_PATTERN",
    "SECRET_QUERY_KEYS",
    "SURROGATE_INSTEAD",
    "UNPRINTABLE_CLASS",
    "UNPRINTABLE_ESCAPES",
    "YAML_VALUE_ERRORS",
    "is_secret_key",
    "lone_surrogate",
    "looks_secret",
    "printable",
    "read_yaml",
    "yaml_loader",
    "yaml_problem",
    "yaml_value_problem",
]

#: How a missing group key (no consumer, no version) is shown in charts and tables: as pandas
#: shows it, not as Vega-Lite's "null" or a table's "-" (which stands for a missing number).
MISSING_KEY = "<NA>"

#: Query-string parameters whose values are credentials and are replaced by ``REDACTED``.
SECRET_QUERY_KEYS: tuple[str, ...] = (
    "apikey",
    "api_key",
    "api-key",
    "key",
    "access_token",
    "private_token",
    "refresh_token",
    "id_token",
    "token",
    "auth",
    "auth_token",
    "authorization",
    "bearer",
    "jwt",
    "user_key",
    "app_key",
    "client_secret",
    "secret",
    "password",
    "passwd",
    "pwd",
    "sig",
    "signature",
    "x-api-key",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
    "jsessionid",
    "phpsessid",
    "sessionid",
)
#: JSON member names whose values are credentials besides :data:`SECRET_QUERY_KEYS`: the
#: credential headers (Kong logs ``request.headers``) and Tyk's ``raw_request`` /
#: ``raw_response`` (the whole request and response, headers included, in base64).
SECRET_JSON_KEYS: tuple[str, ...] = (
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "x-auth-token",
    "x-goog-api-key",
    "raw_request",
    "raw_response",
)
_SEPARATOR = "(?:[-_]|%5[Ff]|%2[Dd])?"


def _names_pattern(keys: tuple[str, ...]) -> str:
    """A regex of any of ``keys``, each ``_`` or ``-`` written either way, percent-encoded or
    left out."""
    return "(?:{})".format(
        "|".join("".join(_SEPARATOR if c in "_-" else c for c in key) for key in keys)
    )


#: Regex (Rust and Python syntax) of any :data:`SECRET_QUERY_KEYS` key, each ``_`` or ``-``
#: written either way, percent-encoded or left out (``api_key``, ``api-key``, ``api%5Fkey``,
#: ``apiKey``); match it case-insensitively.
SECRET_KEY_PATTERN = _names_pattern(SECRET_QUERY_KEYS)
#: :data:`SECRET_KEY_PATTERN` of every credential name :func:`is_secret_key` knows by name, the
#: headers of :data:`SECRET_JSON_KEYS` too (``cookie``, ``x-auth-token``): for text that names
#: headers as well as parameters (a log line, a JSON member).
SECRET_NAME_PATTERN = _names_pattern(tuple(dict.fromkeys((*SECRET_QUERY_KEYS, *SECRET_JSON_KEYS))))
#: A JSON Web Token: header (a JSON object, so ``eyJ``), payload and signature (empty when
#: unsigned), in base64url, joined by dots: a bearer credential whatever name it goes by.
JWT = r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"
#: Words that make a name look like a credential's (:func:`looks_secret`).
_SECRET_WORDS = re.compile(
    r"token|secret|passw|pwd|api_?key|apikey|credential|auth|bearer|private_?key|cookie|session",
    re.IGNORECASE,
)
#: What :func:`is_secret_key` leaves out of a key before comparing it with the known ones.
_KEY_SEPARATORS = re.compile(r"[-_.\s]")


def looks_secret(name: str) -> bool:
    """Whether a name (a report parameter's) looks like it holds a secret.

    >>> looks_secret("prometheus_token"), looks_secret("API-KEY"), looks_secret("api")
    (True, True, False)
    """
    return _SECRET_WORDS.search(name.replace("-", "_")) is not None


def _bare(key: str) -> str:
    """A key percent-decoded, lower-case, without separators: ``X-Api-Key`` -> ``xapikey``."""
    return _KEY_SEPARATORS.sub("", unquote(key).lower())


#: :data:`SECRET_QUERY_KEYS` and :data:`SECRET_JSON_KEYS`, as :func:`_bare` writes them.
_SECRET_KEYS = frozenset(_bare(key) for key in (*SECRET_QUERY_KEYS, *SECRET_JSON_KEYS))


def is_secret_key(key: str) -> bool:
    """Whether ``key`` (in a URL's query, fragment or path parameters; a header's name) names a
    credential: one of :data:`SECRET_QUERY_KEYS` or :data:`SECRET_JSON_KEYS` in any case,
    percent-encoded or not, its ``_``, ``-``, ``.`` and spaces ignored (``accessToken``,
    ``User-Key``, ``api%5Fkey``), or one that :func:`looks_secret` once percent-decoded.

    >>> is_secret_key("X-Api-Key"), is_secret_key("User-Key"), is_secret_key("X-Scope-OrgID")
    (True, True, False)
    """
    return _bare(key) in _SECRET_KEYS or looks_secret(unquote(key))


#: The characters not to show as they are, and how they are written instead: C0 controls and
#: DEL as ``\xHH``; the bidirectional embeddings, overrides and isolates (U+202A-U+202E,
#: U+2066-U+2069) as ``\uHHHH``.
UNPRINTABLE_ESCAPES: dict[str, str] = {
    **{chr(c): f"\\x{c:02X}" for c in (*range(0x20), 0x7F)},
    **{chr(c): f"\\u{c:04X}" for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))},
}
#: A regex class (Rust regex syntax, as polars uses) of the characters of
#: :data:`UNPRINTABLE_ESCAPES`.
UNPRINTABLE_CLASS = r"[\x00-\x1F\x7F\x{202A}-\x{202E}\x{2066}-\x{2069}]"
_TABLE = str.maketrans(UNPRINTABLE_ESCAPES)


def printable(text: str) -> str:
    """``text`` with the characters of :data:`UNPRINTABLE_ESCAPES` written as escapes.

    >>> printable("/a\\x1b[31mred\\u202e")
    '/a\\\\x1B[31mred\\\\u202E'
    """
    return text.translate(_TABLE)


#: A lone UTF-16 surrogate (U+D800-U+DFFF), which UTF-8 cannot encode: PyYAML makes one of an
#: escape such as ``"\ud83d"`` (and two of the JSON-style pair ``"\ud83d\ude00"``), and Python
#: holds a byte of a file name that is not UTF-8 as one (``os.fsdecode``).
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
#: What a lone surrogate is, as messages say it.
HALF_PAIR = "half of a UTF-16 surrogate pair, which UTF-8 cannot hold"
#: What to write in a YAML file instead of an escape that makes a lone surrogate.
SURROGATE_INSTEAD = (
    "the character itself, or one escape such as \\U0001F600 (not a \\ud83d\\ude00 pair)"
)


def lone_surrogate(value: Any) -> tuple[str, str] | None:
    """Where the first lone surrogate (:data:`LONE_SURROGATE`) in ``value`` is, and which it
    is: ``("slos[0].api", "U+D83D")``, or ``None`` when there is none.

    ``value`` is text, or mappings and lists of it (a YAML document), keys included; where is
    the dotted path to the text (``""`` for ``value`` itself), a key holding one written with it
    escaped (``labels.a\\ud83d``) so that the path can be shown. A list or mapping reached
    twice (a YAML alias) is looked at once.

    >>> lone_surrogate({"slos": [{"api": "a\\ud83d"}]})
    ('slos[0].api', 'U+D83D')
    """
    seen: set[int] = set()
    pending: list[tuple[str, Any]] = [("", value)]
    while pending:
        where, item = pending.pop()
        if isinstance(item, str):
            if found := LONE_SURROGATE.search(item):
                return where, f"U+{ord(found.group()):04X}"
            continue
        if not isinstance(item, Mapping | list) or id(item) in seen:
            continue
        seen.add(id(item))
        children: list[tuple[str, Any]] = []
        if isinstance(item, Mapping):
            for key, child in item.items():
                name = str(key).encode("utf-8", "backslashreplace").decode("utf-8")
                path = f"{where}.{name}" if where else name
                children += [(path, key), (path, child)]
        else:
            children = [(f"{where}[{i}]", child) for i, child in enumerate(item)]
        pending.extend(reversed(children))
    return None


def yaml_problem(exc: Exception, text: str) -> tuple[str, str]:
    """Where (``line N``) and what went wrong in a YAML error (a ``yaml.YAMLError`` raised
    reading ``text``), as one line of text: PyYAML's own message spans several.

    Parser errors carry a ``problem_mark``; reader errors (a control character such as NUL, a
    byte that is not text) carry only a character ``position`` and a ``reason``, and their
    ``str()`` spans several lines.
    """
    mark = getattr(exc, "problem_mark", None)
    position = getattr(exc, "position", None)
    if mark is not None:
        where = f"line {mark.line + 1}"
    elif isinstance(position, int):
        where = f"line {text.count(chr(10), 0, position) + 1}"
    else:
        where = "<yaml>"
    from yaml.reader import ReaderError  # (yaml is loaded: it raised ``exc``)

    problem = getattr(exc, "problem", None)
    if problem is None and isinstance(exc, ReaderError):
        character = exc.character
        code = ord(character) if isinstance(character, str) else int(character)
        problem = f"character #x{code:04x}: {exc.reason}"
    return where, " ".join(str(problem or exc).split())


#: What PyYAML's ``safe_load`` raises, besides ``yaml.YAMLError``, for a value its type cannot
#: take: ``2026-02-30`` (``ValueError``), ``!!bool x`` (``KeyError``), ``!!timestamp x``
#: (``AttributeError``).
YAML_VALUE_ERRORS = (ValueError, KeyError, AttributeError)


def yaml_value_problem(exc: Exception) -> str:
    """What is wrong with a value of :data:`YAML_VALUE_ERRORS` ``exc``, without quoting it:
    ``int()``'s message goes on to quote the value, and a ``KeyError``'s is the value."""
    if isinstance(exc, ValueError):
        return f"a value does not fit its type ({str(exc).partition(':')[0]})"
    return "a value does not fit its tag"


#: The tag of YAML's merge key (``<<: *base``).
_MERGE_TAG = "tag:yaml.org,2002:merge"


@cache
def yaml_loader() -> type[yaml.SafeLoader]:
    """PyYAML's safe loader, refusing a mapping that gives one key twice: PyYAML keeps the last
    value silently, so a job file with two ``parameters:`` or a spec with two ``objectives:``
    would lose one. Every YAML file apislo reads is read with it.

    Keys are the same when their values are (``1`` and ``0x1``, ``yes`` and ``true``), as in the
    mapping read. A merge (``<<: *base``) may give keys again: the mapping's own win, as YAML
    says. A duplicate raises a ``yaml.constructor.ConstructorError`` at the second key, whose
    problem names the key as written and the line of the first (never a line's text); a key
    written as an alias (``*name``) is placed where the alias is, not at its anchor. Values
    nested hundreds deep, which PyYAML composes recursively, raise a
    ``yaml.composer.ComposerError`` where it stopped, not a ``RecursionError``.
    """
    import yaml
    from yaml.composer import ComposerError
    from yaml.events import AliasEvent
    from yaml.nodes import ScalarNode

    class UniqueKeyLoader(yaml.SafeLoader):
        def compose_document(self) -> yaml.Node:
            try:
                return super().compose_document()
            except RecursionError:
                raise ComposerError(
                    problem="values nested too deep (hundreds of lists or mappings, one in "
                    "another): nest them less",
                    problem_mark=self.get_mark(),
                ) from None

        def construct_document(self, node: yaml.Node) -> Any:
            _refuse_duplicate_keys(self, node)
            return super().construct_document(node)

        def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node:
            """The node, a scalar reached by an alias (``*name``) as a copy marked where the
            alias is written, so a message about it names that line, not the anchor's."""
            if not self.check_event(AliasEvent):
                return super().compose_node(parent, index)
            alias = self.peek_event()
            node = super().compose_node(parent, index)
            if not isinstance(node, ScalarNode):  # (a shared list or mapping stays one object)
                return node
            return ScalarNode(node.tag, node.value, alias.start_mark, alias.end_mark, node.style)

    return UniqueKeyLoader


def _refuse_duplicate_keys(loader: yaml.SafeLoader, root: yaml.Node) -> None:
    """Check every mapping under ``root`` (in the document's order; a node reached again
    through an alias once) with :func:`_check_keys`."""
    from yaml.nodes import CollectionNode, MappingNode

    checked: set[int] = set()
    pending = [root]
    while pending:
        node = pending.pop()
        if not isinstance(node, CollectionNode) or id(node) in checked:
            continue
        checked.add(id(node))
        children = node.value
        if isinstance(node, MappingNode):
            _check_keys(loader, node)
            children = [child for pair in node.value for child in pair]
        pending.extend(reversed(children))


def _check_keys(loader: yaml.SafeLoader, mapping: yaml.MappingNode) -> None:
    """Raise a ``ConstructorError`` at the first key ``mapping`` gives twice."""
    from yaml.constructor import ConstructorError
    from yaml.nodes import ScalarNode

    first: dict[Any, yaml.Node] = {}
    for key_node, _ in mapping.value:
        if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE_TAG:
            continue  # (a mapping or a list as a key: PyYAML refuses it itself)
        key = loader.construct_object(key_node)
        if not isinstance(key, Hashable):  # (`!!map x: 1`: PyYAML refuses it itself)
            continue
        if key in first:
            line = first[key].start_mark.line + 1
            raise ConstructorError(
                problem=f"duplicate key {key_node.value!r} (also on line {line}): keep one",
                problem_mark=key_node.start_mark,
            )
        first[key] = key_node


def read_yaml(path: str | Path, what: str) -> Any:
    """The YAML document in ``path``, a ``what`` (``route map``, ``metric profile``).

    Raises:
        ConfigError: the file cannot be read, or is not YAML: one line naming the file, the
            line and the problem (:func:`yaml_problem`), a key given twice in a mapping among
            them (:func:`yaml_loader`); or it holds a value that its type
            cannot take (a date ``2026-02-30``, ``!!int x``, ``!!bool x``), named without quoting
            it; or a lone surrogate (:func:`lone_surrogate`), named by its field.
    """
    import yaml  # (only the callers that read YAML load it)

    from apislo.errors import ConfigError

    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigError(f"{path}: cannot read {what}: {reason}") from None
    try:
        doc = yaml.load(text, Loader=yaml_loader())
    except yaml.YAMLError as exc:
        where, problem = yaml_problem(exc, text)
        raise ConfigError(f"{path}: {where}: {what} is not valid YAML: {problem}") from None
    except YAML_VALUE_ERRORS as exc:  # (a value of its type that cannot be: `start: 2026-02-30`)
        raise ConfigError(f"{path}: {what} is not valid YAML: {yaml_value_problem(exc)}") from None
    if found := lone_surrogate(doc):
        field, character = found
        raise ConfigError(
            f"{path}: {what} field {field} holds {character}, {HALF_PAIR}: write "
            f"{SURROGATE_INSTEAD}"
        )
    return doc
