"""Alerting policies as data: multi-window multi-burn-rate tiers.

A tier fires when the error ratio over **both** its long and its short window exceeds
``factor x (1 - objective)`` (the burn rate is above ``factor`` in both). Presets:

* ``workbook`` (the default; ``sloth`` is an alias): the SRE Workbook's table. Windows are fixed
  (1h/5m, 6h/30m, 1d/2h, 3d/6h) and each factor spends a fixed fraction of the budget (2 %, 5 %,
  10 %, 10 %) over the long window: ``factor = budget_fraction x period / long_window``, as Sloth
  does. For 30 days: 14.4, 6, 3, 1; for 28 days: 13.44, 5.6, 2.8, 0.933.
* ``pyrra``: Pyrra's factors 14, 7, 2, 1 with windows that scale with the period
  (1h/5m, 6h/30m, 1d/2h, 4d/6h on a 28-day base; rounded to the minute, as Pyrra does).

Custom tiers come from a spec's ``alerting.tiers`` (see :func:`tiers_from_spec`).

>>> from datetime import timedelta
>>> [t.factor for t in workbook_policy(timedelta(days=30)).tiers]
[14.4, 6.0, 3.0, 1.0]
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction
from typing import Any, Literal

from apislo.errors import SpecError
from apislo.slo.spec import MAX_DURATION

__all__ = [
    "DURATION_RULE",
    "POLICIES",
    "REPLAYABLE",
    "SEVERITIES",
    "Policy",
    "Severity",
    "Tier",
    "check_duration",
    "duration_text",
    "get_policy",
    "parse_duration",
    "policy_for",
    "prom_duration",
    "pyrra_policy",
    "tiers_from_spec",
    "workbook_policy",
]

Severity = Literal["page", "ticket"]
SEVERITIES: tuple[str, ...] = ("page", "ticket")

_MINUTE = timedelta(minutes=1)
_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)

#: The SRE Workbook's table: (severity, long window, short window, budget fraction spent).
_WORKBOOK: tuple[tuple[Severity, timedelta, timedelta, float], ...] = (
    ("page", _HOUR, 5 * _MINUTE, 0.02),
    ("page", 6 * _HOUR, 30 * _MINUTE, 0.05),
    ("ticket", _DAY, 2 * _HOUR, 0.10),
    ("ticket", 3 * _DAY, 6 * _HOUR, 0.10),
)

#: Pyrra's table on its 28-day base: (severity, long, short, factor).
_PYRRA_BASE = timedelta(days=28)
_PYRRA: tuple[tuple[Severity, timedelta, timedelta, float], ...] = (
    ("page", _HOUR, 5 * _MINUTE, 14.0),
    ("page", 6 * _HOUR, 30 * _MINUTE, 7.0),
    ("ticket", _DAY, 2 * _HOUR, 2.0),
    ("ticket", 4 * _DAY, 6 * _HOUR, 1.0),
)


@dataclass(frozen=True)
class Tier:
    """One multi-window burn-rate alert.

    Attributes:
        name: alert-tier name, unique within a policy (``page-1h``).
        severity: ``page`` (wake someone) or ``ticket`` (next working day).
        long_window: the window that measures how much budget was spent.
        short_window: the window that makes the alert reset quickly once the burn stops.
        factor: burn-rate threshold; fires when both windows burn faster than this.
        alert_after: how long both windows must keep burning faster than ``factor``, at every
            evaluation, before the alert fires (Prometheus's ``for``, OpenSLO's
            ``alertAfter``); zero fires at the first evaluation that finds them burning.
    """

    name: str
    severity: Severity
    long_window: timedelta
    short_window: timedelta
    factor: float
    alert_after: timedelta = timedelta(0)

    def budget_fraction(self, period: timedelta) -> float:
        """Fraction of the period's budget spent when the long window burns at ``factor``."""
        return self.factor * (self.long_window / period)

    def threshold(self, objective: float) -> float:
        """Error-ratio threshold ``factor x (1 - objective)``, the same float the rules compute.

        ``1 - objective`` is :func:`apislo.slo.maths.error_allowance` (``0.001``, not
        ``0.0010000000000000009``), written as that literal in generated PromQL.
        """
        from apislo.slo.maths import error_allowance

        return self.factor * error_allowance(objective)

    def can_fire(self, objective: float) -> bool:
        """Whether an error ratio (at most 1) can exceed :meth:`threshold`: not when the
        factor is ``1 / (1 - objective)`` or more (14.4 for a 90 % objective, whose threshold
        is 1.44: more than every request failing)."""
        return self.threshold(objective) < 1


@dataclass(frozen=True)
class Policy:
    """A named set of tiers.

    Attributes:
        name: policy name (``workbook``, ``pyrra``, ``spec``...).
        tiers: the tiers, most urgent first.
    """

    name: str
    tiers: tuple[Tier, ...]

    @property
    def windows(self) -> tuple[timedelta, ...]:
        """Every distinct long and short window, shortest first."""
        return tuple(sorted({w for t in self.tiers for w in (t.long_window, t.short_window)}))


def _tier_name(severity: str, long_window: timedelta) -> str:
    return f"{severity}-{prom_duration(long_window)}"


def _spend_factor(budget_fraction: float, period: timedelta, long_window: timedelta) -> float:
    """``budget_fraction x period / long_window`` in exact rational arithmetic, then rounded once.

    >>> _spend_factor(0.05, timedelta(days=30), timedelta(hours=6))  # not 6.000000000000001
    6.0
    """
    micro = timedelta(microseconds=1)
    exact = Fraction(str(budget_fraction)) * Fraction(period // micro, long_window // micro)
    return float(exact)


def workbook_policy(period: timedelta) -> Policy:
    """The SRE Workbook's four tiers with factors scaled to ``period`` (Sloth's formula).

    Args:
        period: the SLO period (30 days for the Workbook's own table).

    Returns:
        The ``workbook`` policy: factor = budget fraction x period / long window.
    """
    tiers = tuple(
        Tier(_tier_name(sev, long), sev, long, short, _spend_factor(fraction, period, long))
        for sev, long, short, fraction in _WORKBOOK
    )
    return Policy("workbook", tiers)


def _go_round_minute(delta: timedelta) -> timedelta:
    """Round to the minute, halves away from zero (Go's ``Duration.Round``, which Pyrra uses)."""
    micro = delta // timedelta(microseconds=1)
    minute = 60_000_000
    return timedelta(microseconds=(micro + minute // 2) // minute * minute)


def pyrra_policy(period: timedelta) -> Policy:
    """Pyrra's four tiers: factors 14, 7, 2, 1; windows scaled from the 28-day base.

    Args:
        period: the SLO period.

    Returns:
        The ``pyrra`` policy (windows rounded to the minute, as Pyrra does).

    Raises:
        SpecError: ``period`` is so short that a window rounds to zero (under 2.8 days, the
            5-minute short window scales below 30 s).
    """
    scale = period / _PYRRA_BASE
    tiers = []
    for sev, long, short, factor in _PYRRA:
        long_w, short_w = _go_round_minute(long * scale), _go_round_minute(short * scale)
        if short_w <= timedelta(0):
            raise SpecError(
                "<policy>",
                "alerting.policy",
                f"pyrra scales its windows by period / 28d and rounds them to the minute: for a "
                f"{prom_duration(period)} period its {prom_duration(short)} short window becomes 0",
                "a period of at least 2.8 days for pyrra, the workbook policy, or inline tiers",
            )
        tiers.append(Tier(_tier_name(sev, long_w), sev, long_w, short_w, factor))
    return Policy("pyrra", tuple(tiers))


#: Preset name -> builder taking the SLO period.
POLICIES: dict[str, Callable[[timedelta], Policy]] = {
    "workbook": workbook_policy,
    "sloth": workbook_policy,
    "pyrra": pyrra_policy,
}
#: What a backtest replays (:func:`apislo.slo.backtest.policies_for`, ``slo backtest
#: --policy``): a preset, or ``spec``, the SLO's own policy.
REPLAYABLE: tuple[str, ...] = (*POLICIES, "spec")


def get_policy(name: str, period: timedelta) -> Policy:
    """A preset policy by name for an SLO ``period``.

    Raises:
        SpecError: the name is not a preset.
    """
    try:
        builder = POLICIES[name]
    except KeyError:
        raise SpecError(
            "<policy>", "alerting.policy", f"unknown policy {name!r}", ", ".join(POLICIES)
        ) from None
    policy = builder(period)
    return Policy(name, policy.tiers)


_DURATION = re.compile(r"^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_UNITS = (timedelta(weeks=1), _DAY, _HOUR, _MINUTE, timedelta(seconds=1))


def parse_duration(text: str | timedelta) -> timedelta:
    """Parse a Prometheus-style duration (``5m``, ``1h30m``, ``3d``) into a timedelta.

    Raises:
        ValueError: the text is not such a duration.
    """
    if isinstance(text, timedelta):
        return text
    match = _DURATION.match(str(text).strip())
    if not match or not any(match.groups()):
        raise ValueError(f"{text!r} is not a duration such as 5m, 1h, 3d")
    try:
        return sum(
            (int(n) * unit for n, unit in zip(match.groups(), _UNITS, strict=True) if n),
            timedelta(),
        )
    except OverflowError:
        raise ValueError(f"{text!r} is longer than {prom_duration(MAX_DURATION)}") from None


#: What a duration in a spec may be (see :func:`check_duration`).
DURATION_RULE = f"a duration such as 30d, 6h, 5m, at most {MAX_DURATION.days}d (5 years)"


def check_duration(delta: timedelta) -> timedelta:
    """``delta`` if it can be a duration in a spec: positive and at most
    :data:`~apislo.slo.spec.MAX_DURATION` (1830 days), which Prometheus and pandas both hold.

    Raises:
        ValueError: zero or negative, or longer than that (the message says which).
    """
    if delta <= timedelta(0):
        raise ValueError("must be positive")
    if delta > MAX_DURATION:
        whole = delta % timedelta(seconds=1) == timedelta(0)  # OpenSLO minutes may not be
        shown = prom_duration(delta) if whole else str(delta)
        raise ValueError(f"{shown} is longer than {prom_duration(MAX_DURATION)}")
    return delta


def duration_text(delta: timedelta) -> str:
    """``5m``, ``1d``, ``1h30m``, as specs write durations (Python's text below a second).

    >>> duration_text(timedelta(minutes=90)), duration_text(timedelta(milliseconds=250))
    ('1h30m', '0:00:00.250000')
    """
    try:
        return prom_duration(delta)
    except ValueError:
        return str(delta)


def prom_duration(delta: timedelta) -> str:
    """A Prometheus duration for ``delta``: ``5m``, ``1h``, ``1h4m``, ``3d`` (whole seconds).

    Raises:
        ValueError: ``delta`` is not a positive whole number of seconds.
    """
    seconds = delta.total_seconds()
    if seconds <= 0 or seconds != int(seconds):
        raise ValueError(f"{delta} is not a positive whole number of seconds")
    rest, parts = int(seconds), []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    return "".join(parts)


_TIER_KEYS = (
    "name", "severity", "long_window", "short_window", "factor", "budget_fraction", "alert_after",
)  # fmt: skip


def tiers_from_spec(
    raw_tiers: Sequence[Mapping[str, Any] | Tier],
    period: timedelta,
    path: str = "<inline>",
    field: str = "alerting.tiers",
) -> tuple[Tier, ...]:
    """Validate inline tiers from a spec's ``alerting.tiers``.

    Each tier is a mapping with ``severity`` (page|ticket), ``long_window`` and ``short_window``
    (durations such as ``1h``, ``5m``), and either ``factor`` (burn rate) or ``budget_fraction``
    (share of the period's budget spent over the long window; factor = fraction x period /
    long window). ``name`` is optional (default ``<severity>-<long window>``), and so is
    ``alert_after`` (a duration, default ``0m``: see :attr:`Tier.alert_after`).

    Args:
        raw_tiers: the mappings as written (or ready :class:`Tier` objects).
        period: the SLO period, to turn a budget fraction into a factor.
        path: the spec file, for error messages.
        field: where the tiers sit in the spec, for error messages (``slos[2].alerting.tiers``).

    Raises:
        SpecError: naming the tier, the field and what is allowed.
    """
    tiers: list[Tier] = []
    for i, raw in enumerate(raw_tiers):
        if isinstance(raw, Tier):
            tiers.append(raw)
            continue
        where = f"{field}[{i}]"
        if not isinstance(raw, Mapping):
            raise SpecError(path, where, "a tier must be a mapping", ", ".join(_TIER_KEYS))
        unknown = sorted(set(raw) - set(_TIER_KEYS))
        if unknown:
            raise SpecError(path, f"{where}.{unknown[0]}", "unknown field", ", ".join(_TIER_KEYS))
        severity = raw.get("severity")
        if severity not in SEVERITIES:
            raise SpecError(
                path, f"{where}.severity", f"{severity!r} is not allowed", "page, ticket"
            )
        windows = []
        for key in ("long_window", "short_window"):
            try:
                windows.append(check_duration(parse_duration(raw[key])))
            except KeyError:
                raise SpecError(
                    path, f"{where}.{key}", "missing", "a duration such as 1h"
                ) from None
            except ValueError as exc:
                raise SpecError(path, f"{where}.{key}", str(exc), DURATION_RULE) from None
        long_w, short_w = windows
        if short_w >= long_w:
            raise SpecError(
                path,
                f"{where}.short_window",
                "must be shorter than long_window",
                "about 1/12 of the long window",
            )
        factor = _tier_factor(raw, period, long_w, path, where)
        name = str(raw.get("name") or _tier_name(severity, long_w))
        alert_after = _tier_alert_after(raw, path, where)
        tiers.append(Tier(name, severity, long_w, short_w, factor, alert_after))
    names = [t.name for t in tiers]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SpecError(path, field, f"tier name {duplicates[0]!r} is repeated", "unique names")
    if not tiers:
        raise SpecError(path, field, "no tiers given", "at least one tier")
    return tuple(tiers)


def _tier_factor(
    raw: Mapping[str, Any], period: timedelta, long_w: timedelta, path: str, where: str
) -> float:
    """The burn-rate factor of one raw tier: given, or from its budget fraction."""
    if ("factor" in raw) == ("budget_fraction" in raw):
        raise SpecError(
            path,
            where,
            "give exactly one of factor and budget_fraction",
            "factor: 14.4, or budget_fraction: 0.02",
        )
    key = "factor" if "factor" in raw else "budget_fraction"
    try:
        if isinstance(raw[key], bool | str):  # (float() reads true as 1 and "2" as 2)
            raise TypeError
        value = float(raw[key])
    except (TypeError, ValueError):
        raise SpecError(
            path, f"{where}.{key}", f"{raw[key]!r} is not a number", "a positive number"
        ) from None
    if not 0 < value < math.inf or (key == "budget_fraction" and value > 1):
        raise SpecError(
            path,
            f"{where}.{key}",
            f"{value} is out of range",
            "a positive, finite number" if key == "factor" else "0 < fraction <= 1",
        )
    return value if key == "factor" else _spend_factor(value, period, long_w)


def _tier_alert_after(raw: Mapping[str, Any], path: str, where: str) -> timedelta:
    """A raw tier's ``alert_after``: zero when absent or ``0m``, else a duration of at most
    :data:`~apislo.slo.spec.MAX_DURATION`."""
    if raw.get("alert_after") is None:
        return timedelta(0)
    try:
        delta = parse_duration(raw["alert_after"])
        return delta if delta == timedelta(0) else check_duration(delta)
    except ValueError as exc:
        raise SpecError(
            path,
            f"{where}.alert_after",
            str(exc),
            f"{DURATION_RULE}, or 0m to fire at the first evaluation",
        ) from None


def policy_for(slo: Any) -> Policy:
    """The policy an SLO asks for: its inline tiers, its named preset, or the Workbook default.

    Args:
        slo: an :class:`apislo.slo.spec.SLO`.

    Raises:
        SpecError: unknown policy name or invalid inline tiers (naming the spec file).
    """
    period = slo.window.period
    path = str(slo.origin)
    if slo.alerting.tiers:
        return Policy(
            slo.alerting.policy or "spec", tiers_from_spec(slo.alerting.tiers, period, path)
        )
    name = slo.alerting.policy or "workbook"
    if name not in POLICIES:
        raise SpecError(
            path,
            "alerting.policy",
            f"unknown policy {name!r}",
            ", ".join(POLICIES) + " or inline tiers",
        )
    try:
        return get_policy(name, period)
    except SpecError as exc:  # a preset that cannot serve this period (pyrra under 2.8 days)
        raise SpecError(path, exc.field, exc.problem, exc.allowed) from None
