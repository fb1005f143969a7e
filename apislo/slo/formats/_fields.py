"""Reading a YAML mapping field by field, with errors that name the file, the field and the rule.

Every spec format reads through :class:`Node`, so a bad value always raises
``SpecError(path, "slos[2].objectives[0].target", "1.5 is out of range", "0 < target < 1")``.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from apislo.errors import ConfigError, SpecError
from apislo.slo.policy import DURATION_RULE, check_duration, parse_duration
from apislo.slo.spec import error_allowance
from apislo.sources.prometheus.promql import label_name

__all__ = ["NAME_RULE", "Node", "SpecWarning", "warn"]

#: RFC 1123 label names (OpenSLO's minimum): safe in rule names, labels and file names.
NAME_RULE = re.compile(r"[a-z0-9]([a-z0-9._-]{0,251}[a-z0-9])?\Z")  # (\Z: $ allows a final \n)


class SpecWarning(UserWarning):
    """A spec loads, but something in it is probably not what its author meant."""


def warn(path: str, field: str, message: str) -> None:
    """Issue a :class:`SpecWarning` naming the file and field."""
    warnings.warn(f"{path}: {field}: {message}", SpecWarning, stacklevel=3)


@dataclass(frozen=True)
class Node:
    """A mapping from a spec file and where it sits (``path`` file, dotted ``field``)."""

    path: str
    field: str
    data: Mapping[str, Any]

    @classmethod
    def of(cls, path: str, field: str, value: Any) -> Node:
        """Wrap ``value``, which must be a mapping."""
        if not isinstance(value, Mapping):
            raise SpecError(path, field or "<document>", f"expected a mapping, got {value!r}")
        return cls(path, field, value)

    def where(self, key: str | int) -> str:
        """Dotted field name of ``key`` under this node."""
        if isinstance(key, int):
            return f"{self.field}[{key}]"
        return f"{self.field}.{key}" if self.field else key

    def error(self, key: str, problem: str, allowed: str = "") -> SpecError:
        """A :class:`SpecError` for ``key`` under this node."""
        return SpecError(self.path, self.where(key), problem, allowed)

    def only(self, *keys: str) -> None:
        """Refuse keys other than ``keys`` (typos should not pass silently)."""
        unknown = sorted(set(map(str, self.data)) - set(keys))
        if unknown:
            raise self.error(unknown[0], "unknown field", ", ".join(keys))

    def has(self, key: str) -> bool:
        """Whether ``key`` is present and not null."""
        return self.data.get(key) is not None

    def raw(self, key: str, default: Any = None) -> Any:
        """The value as written, or ``default``."""
        value = self.data.get(key)
        return default if value is None else value

    def child(self, key: str, required: bool = False) -> Node | None:
        """The mapping under ``key``."""
        if not self.has(key):
            if required:
                raise self.error(key, "missing")
            return None
        return Node.of(self.path, self.where(key), self.data[key])

    def children(self, key: str, required: bool = False) -> Iterator[Node]:
        """Each mapping of the list under ``key``."""
        for i, item in enumerate(self.items(key, required)):
            yield Node.of(self.path, f"{self.where(key)}[{i}]", item)

    def items(self, key: str, required: bool = False) -> list[Any]:
        """The list under ``key`` (empty when absent and not required)."""
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.error(key, "missing", "a list")
            return []
        if not isinstance(value, list):
            raise self.error(key, f"expected a list, got {value!r}", "a list")
        if required and not value:
            raise self.error(key, "is empty", "at least one item")
        return value

    def text(
        self,
        key: str,
        required: bool = False,
        default: str | None = None,
        allowed: Sequence[str] | None = None,
    ) -> str | None:
        """A string (numbers are accepted and turned into text)."""
        if not self.has(key):
            if required:
                raise self.error(key, "missing", ", ".join(allowed or ()) or "a string")
            return default
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.error(key, f"expected text, got {value!r}")
        value = str(value)
        if allowed is not None and value not in allowed:
            raise self.error(key, f"{value!r} is not allowed", ", ".join(allowed))
        return value

    def name(self, key: str, required: bool = True) -> str | None:
        """A DNS-label-style name (lower case, digits, ``-``, ``.``, ``_``)."""
        value = self.text(key, required)
        if value is not None and not NAME_RULE.match(value):
            raise self.error(
                key, f"{value!r} is not a valid name", "lower-case letters, digits, - . _"
            )
        return value

    def service(self, required: bool = False) -> str | None:
        """``service``, kept as written, with a :class:`SpecWarning` when it is not a name
        (:data:`NAME_RULE`): OpenSLO's ``spec.service`` names a ``Service`` object, and
        ``apislo slo export`` writes it there. Not refused: apislo/v1 and OpenSLO specs took any
        text until 2026-11-29, and any text can label rules (``apislo_service``)."""
        value = self.text("service", required)
        if value and not NAME_RULE.match(value):
            warn(
                self.path,
                self.where("service"),
                f"{value!r} is not a name as OpenSLO's Service names are (lower-case letters, "
                "digits, - . _), and an OpenSLO export writes it as one: kept as written, but "
                "rename it",
            )
        return value

    def number(
        self,
        key: str,
        required: bool = False,
        default: float | None = None,
        low: float | None = None,
        high: float | None = None,
        rule: str = "",
    ) -> float | None:
        """A finite number in ``(low, high)`` (exclusive bounds; YAML's ``.inf`` and ``.nan``
        are refused)."""
        if not self.has(key):
            if required:
                raise self.error(key, "missing", rule or "a number")
            return default
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(key, f"{value!r} is not a number", rule or "a number")
        if not math.isfinite(value):
            raise self.error(key, f"{value} is not a finite number", rule or "a finite number")
        if (low is not None and not value > low) or (high is not None and not value < high):
            raise self.error(key, f"{value} is out of range", rule)
        return float(value)

    def budgeted(self, key: str, target: float, rule: str) -> float:
        """``target`` (a fraction, read from ``key``) when it leaves an error budget: ``1 -
        target`` is above 0 at the 12 decimals the maths keeps
        (:func:`apislo.slo.spec.error_allowance`), checked here to name the value as written
        (Sloth's percentage) and its field; :class:`~apislo.slo.spec.Objective` refuses it too.

        Raises:
            SpecError: ``0.9999999999999`` and closer to 1, whose budget would be 0 events (a
                division by zero, and rules whose alerts fire on any error).
        """
        if error_allowance(target) <= 0:
            raise self.error(
                key, f"{self.data[key]} leaves no error budget (1 - target rounds to 0)", rule
            )
        return target

    def count(self, key: str, required: bool = False, default: int = 1) -> int:
        """A whole number >= 1 (``2``, or ``2.0``; ``2.5`` is refused, not truncated)."""
        rule = "a whole number >= 1"
        value = self.number(key, required=required, default=default, low=0, rule=rule)
        assert value is not None
        if not float(value).is_integer():
            raise self.error(key, f"{self.data[key]} is not a whole number", rule)
        return int(value)

    def flag(self, key: str, default: bool = False) -> bool:
        """A boolean."""
        if not self.has(key):
            return default
        value = self.data[key]
        if not isinstance(value, bool):
            raise self.error(key, f"{value!r} is not true or false", "true, false")
        return value

    def duration(self, key: str, required: bool = False) -> timedelta | None:
        """A duration such as ``30d``, ``6h``, ``5m`` (``m`` is minutes), positive and at most
        :data:`~apislo.slo.spec.MAX_DURATION` (1830 days)."""
        if not self.has(key):
            if required:
                raise self.error(key, "missing", DURATION_RULE)
            return None
        try:
            return check_duration(parse_duration(str(self.data[key])))
        except ValueError as exc:
            raise self.error(key, str(exc), DURATION_RULE) from None

    def strings(self, key: str) -> tuple[str, ...]:
        """A list of strings (a single string is a list of one)."""
        value = self.data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
            raise self.error(key, f"expected a list of strings, got {value!r}")
        return tuple(str(v) for v in value)

    def labels(self, key: str) -> tuple[tuple[str, str], ...]:
        """Like :meth:`pairs`, for labels, annotations and label matchers that go into
        Prometheus rules and queries: each name must be a Prometheus label name, or the rules
        would be refused (by ``apislo slo rules``, or by promtool for annotations)."""
        pairs = self.pairs(key)
        for name, _ in pairs:
            try:
                label_name(name)
            except ConfigError:
                raise SpecError(
                    self.path,
                    f"{self.where(key)}.{name}",
                    "is not a Prometheus label name, so it cannot go into the SLO's rules",
                    "letters, digits and _, not starting with a digit (team_name)",
                ) from None
        return pairs

    def pairs(self, key: str) -> tuple[tuple[str, str], ...]:
        """A string-to-string mapping as sorted pairs (list values are joined with commas)."""
        child = self.child(key)
        if child is None:
            return ()
        out = []
        for k, v in child.data.items():
            if isinstance(v, list):
                v = ",".join(map(str, v))
            if isinstance(v, Mapping):
                raise child.error(str(k), "expected a string", "text or a list of text")
            out.append((str(k), str(v)))
        return tuple(sorted(out))
