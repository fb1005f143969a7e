"""PromQL text: the one label-value escaper, label matchers and durations, and the functions a
query calls.

Every string that goes into PromQL from outside (API names, label values from a profile or a
user) passes through :func:`escape_label_value`, so a value such as ``a"} or vector(1) #`` stays a
value and cannot change the query.

>>> matchers({"api": 'a"} or vector(1) #'})
'{api="a\\\\"} or vector(1) #"}'
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from apislo.errors import ConfigError

__all__ = [
    "called_functions",
    "escape_label_value",
    "format_duration",
    "label_name",
    "matchers",
    "range_texts",
    "selector",
    "strip_comments",
]

_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")  # (\Z: $ allows a final \n)
_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
_OPERATORS = ("=", "!=", "=~", "!~")
#: PromQL's string literals: double-, single- or back-quoted.
_LITERAL = r'"(?:[^"\\]|\\.)*"' r"|'(?:[^'\\]|\\.)*'" r"|`[^`]*`"
#: A string literal or a comment (``#`` to the line's end, outside a literal).
_LITERAL_OR_COMMENT = re.compile(rf"{_LITERAL}|#[^\n]*")
#: What PromQL allows between two tokens: white space and comments (until 2026-11-30 only white
#: space here, so ``rate # per second`` and its ``(`` on the next line was no call). Possessive:
#: a run of comments holding ``#`` is not split again when no ``(`` follows.
_GAP = r"(?:\s|#[^\n]*+)*+"
#: PromQL's tokens as far as :func:`called_functions` and :func:`range_texts` need them: string
#: literals (double, single or back-quoted) and comments, whose text is no code; the range of a
#: range selector or subquery (``[5m]``, ``[1h:1m]``); numbers and durations (``5m``, ``1e3``),
#: which are no names; and names, with the ``(`` (after any white space or comment, and an
#: aggregation's ``by (...)`` or ``without (...)``, in any case as PromQL's keywords) that makes
#: one a call.
_TOKEN = re.compile(
    rf"{_LITERAL}|#[^\n]*"
    r"|\[(?P<range>[^\]:]*)(?::[^\]]*)?\]"
    r"|[0-9.][0-9a-zA-Z_.]*"
    r"|(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)"
    rf"(?P<call>(?:{_GAP}(?i:by|without){_GAP}\([^)]*\))?{_GAP}\()?",
    re.DOTALL,
)
#: Keywords a ``(`` may follow without making them calls (``sum by (api) (...)``, ``a or (b)``),
#: lower-case (PromQL's keywords are in any case: ``x AND ON (a) (y)``).
_KEYWORDS = frozenset(
    {
        *("and", "or", "unless", "atan2", "bool", "offset"),
        *("by", "without", "on", "ignoring", "group_left", "group_right"),
    }
)


def escape_label_value(value: str) -> str:
    """Escape a label value for a double-quoted PromQL string (``\\``, ``"`` and newline).

    >>> escape_label_value('say "hi"\\n')
    'say \\\\"hi\\\\"\\\\n'
    """
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def label_name(name: str) -> str:
    """Return ``name`` if it is a valid Prometheus label name.

    Raises:
        ConfigError: it is not (label names cannot be quoted, so they are validated instead).
    """
    if not _LABEL_NAME.match(name):
        raise ConfigError(
            f"{name!r} is not a Prometheus label name (letters, digits and _ only, not starting "
            "with a digit)"
        )
    return name


def matchers(labels: Mapping[str, str | tuple[str, str]]) -> str:
    """Render label matchers ``{name="value",...}``; values are always escaped.

    Args:
        labels: label name -> value (equality), or -> ``(operator, value)`` with operator one of
            ``=``, ``!=``, ``=~``, ``!~``.

    Returns:
        ``""`` when ``labels`` is empty, else the braces with the matchers.
    """
    parts = []
    for name, spec in labels.items():
        op, value = ("=", spec) if isinstance(spec, str) else spec
        if op not in _OPERATORS:
            raise ConfigError(f"matcher operator {op!r} for {name!r}: use one of {_OPERATORS}")
        parts.append(f'{label_name(name)}{op}"{escape_label_value(str(value))}"')
    return "{" + ",".join(parts) + "}" if parts else ""


def selector(metric: str, labels: Mapping[str, str | tuple[str, str]] | None = None) -> str:
    """A series selector ``metric{matchers}``.

    Raises:
        ConfigError: ``metric`` is not a valid metric name.
    """
    if not _METRIC_NAME.match(metric):
        raise ConfigError(f"{metric!r} is not a Prometheus metric name")
    return metric + matchers(labels or {})


def called_functions(promql: str) -> frozenset[str]:
    """The names of the functions and aggregations ``promql`` calls: each name followed by
    ``(`` (white space, comments, and an aggregation's ``by (...)`` or ``without (...)``, between
    them allowed) outside string literals and comments, so that a matcher ``path=~"/rate(/.*)?"``
    or a comment calls nothing.

    >>> sorted(called_functions('sum by (api) (rate (x{path=~"/rate(.*)"}[5m])) # irate('))
    ['rate', 'sum']
    """
    return frozenset(
        m["name"]
        for m in _TOKEN.finditer(promql)
        if m["call"] and m["name"].lower() not in _KEYWORDS
    )


def strip_comments(promql: str) -> str:
    """``promql`` without its comments (``#`` to the line's end, outside string literals): a
    query put inside other PromQL on one line, as a rule's ``(...)``, would lose what follows
    it to a comment of its own.

    >>> strip_comments('sum(x{path="/a#b"}) # errors only')
    'sum(x{path="/a#b"}) '
    """
    return _LITERAL_OR_COMMENT.sub(lambda m: "" if m[0].startswith("#") else m[0], promql)


def range_texts(promql: str) -> tuple[str, ...]:
    """The ranges of ``promql``'s range selectors and subqueries as written, white space
    stripped, in order: ``5m`` of ``x[5m]``, ``1h`` of ``max_over_time(r[1h:1m])``,
    ``{{.window}}`` of a Sloth template; not ``[1m]`` in a string literal or a comment.

    >>> range_texts('sum(increase(x{p="[1m]"}[5m])) / max_over_time(y[ 1h :1m]) # [2m]')
    ('5m', '1h')
    """
    return tuple(m["range"].strip() for m in _TOKEN.finditer(promql) if m["range"] is not None)


def format_duration(seconds: float) -> str:
    """A PromQL duration for a whole number of seconds, in the largest exact unit.

    >>> format_duration(3600), format_duration(90), format_duration(86400 * 7)
    ('1h', '90s', '7d')
    """
    whole = int(seconds)
    if whole != seconds or whole <= 0:
        raise ConfigError(f"duration {seconds!r} s must be a positive whole number of seconds")
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if whole % size == 0:
            return f"{whole // size}{unit}"
    return f"{whole}s"
