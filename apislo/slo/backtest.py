"""Replay alerting policies over history and score them against known incidents.

For each policy, :func:`backtest` lists every alert episode (tier, group, fired, reset) and, given
incident windows, the SRE Workbook's four attributes:

* **precision**: the share of alert episodes that belong to an incident. An episode belongs to
  an incident when the incident overlaps the *short* window the alert looked at when it fired,
  i.e. ``start < fired_at`` and ``fired_at - short_window < end`` (same API when both name one):
  the short window is what says the problem is still happening, while the long window can hold
  an old incident's errors for days. An episode belongs to every incident it overlaps so (a
  maintenance window and an outage inside it both count it).
* **recall**: the share of incidents with at least one such alert.
* **detection time**: from the incident's start to its first alert.
* **reset time**: from the incident's end to the reset of its last alert (negative when the alert
  stopped before the incident did; missing while an alert is still active at the end of history).

Episodes of the kinds in :data:`NOT_INCIDENTS` (the simulator's ``low-traffic``, a condition of
the whole period) are not incidents: nothing starts or fails in them, and one spanning all of
history would belong to every alert. They are left out.

:func:`compare` puts several policies side by side.

>>> incidents = load_incidents({"episodes": [
...     {"kind": "outage", "api": "checkout", "start": "2026-01-01T10:00:00Z",
...      "end": "2026-01-01T10:30:00Z"}]})
>>> incidents[["api", "kind"]].values.tolist()
[['checkout', 'outage']]
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from apislo.errors import ConfigError
from apislo.slo.alerts import alert_history
from apislo.slo.policy import Policy, get_policy, policy_for

__all__ = [
    "NOT_INCIDENTS",
    "BacktestResult",
    "backtest",
    "compare",
    "load_incidents",
    "policies_for",
]

_INCIDENT_COLUMNS = ["api", "kind", "start", "end"]
#: What tells the rows of one policy and objective apart: the objective's label, as its target
#: may be another objective's too (95 % under 0.3 s and 95 % under 1 s).
_KEY_COLUMNS = ("policy", "objective", "objective_name")
#: Episode kinds that are conditions, not incidents: :func:`backtest` leaves them out.
NOT_INCIDENTS: tuple[str, ...] = ("low-traffic",)


def load_incidents(source: str | Path | Mapping[str, Any] | pd.DataFrame) -> pd.DataFrame:
    """Incident windows from the simulator's ``truth.json`` (its ``episodes``) or any table.

    Args:
        source: a ``truth.json`` path or its parsed mapping, a CSV/JSON/Parquet table path, or
            a DataFrame, with ``start`` and ``end`` (ISO 8601; naive = UTC) and optionally
            ``api`` and ``kind``.

    Returns:
        Columns ``api`` (None when not given), ``kind``, ``start``, ``end`` (UTC), sorted by start.

    Raises:
        ConfigError: unreadable file, missing columns, or an end not after its start.
    """
    name = "<frame>"
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
    elif isinstance(source, Mapping):
        frame = _from_mapping(source, name)
    else:
        path = Path(source)
        name = str(path)
        try:
            if path.suffix == ".parquet":
                frame = pd.read_parquet(path)
            elif path.suffix == ".csv":
                frame = pd.read_csv(path)
            else:
                frame = _from_mapping(json.loads(path.read_text(encoding="utf-8")), name)
        except OSError as exc:
            raise ConfigError(f"cannot read incidents {path}: {exc.strerror}") from None
        except (ValueError, json.JSONDecodeError) as exc:
            raise ConfigError(f"{path}: not a readable incidents table ({exc})") from None
    missing = [c for c in ("start", "end") if c not in frame.columns]
    if missing:
        raise ConfigError(
            f"{name}: incidents need start and end columns (missing {', '.join(missing)}); "
            "pass truth.json or a table with start,end[,api,kind]"
        )
    out = pd.DataFrame(
        {
            "api": frame["api"].astype(object) if "api" in frame else None,
            "kind": frame["kind"].astype(str) if "kind" in frame else "incident",
            "start": _utc(frame["start"], name),
            "end": _utc(frame["end"], name),
        }
    )
    bad = out["end"] <= out["start"]
    if bad.any():
        row = out[bad].iloc[0]
        raise ConfigError(f"{name}: incident ending {row['end']} does not end after its start")
    return out.sort_values("start", ignore_index=True)


def _from_mapping(doc: Any, name: str) -> pd.DataFrame:
    rows = doc.get("episodes", doc.get("incidents")) if isinstance(doc, Mapping) else doc
    if not isinstance(rows, list):
        raise ConfigError(f"{name}: expected a list of incidents, or truth.json with 'episodes'")
    return pd.DataFrame(rows, columns=None if rows else _INCIDENT_COLUMNS)


def _utc(values: pd.Series, name: str) -> pd.Series:
    """Incident times as UTC: ISO 8601 in any mix of its forms (with or without seconds,
    fractions or an offset; naive = UTC), one value at a time, not in the form of the first.

    Raises:
        ConfigError: a value that is not an ISO 8601 time, named.
    """
    stamps = pd.to_datetime(values, utc=True, format="ISO8601", errors="coerce")
    unread = values[stamps.isna() & values.notna()]
    if len(unread):
        raise ConfigError(
            f"{name}: incident time {unread.iloc[0]!r} is not ISO 8601 (2026-01-31T00:00Z)"
        )
    return stamps.dt.as_unit("ns")


def policies_for(slo: Any, names: Sequence[str] = ()) -> list[Policy]:
    """The SLO's own policy, or the named ones (:data:`~apislo.slo.policy.REPLAYABLE`) for it.

    A name given twice is replayed once. The SLO's own policy (``spec``) keeps its name unless
    another policy replayed has it (inline tiers named ``workbook`` beside the ``workbook``
    preset): it is then ``<name> (spec)``, as :func:`backtest` tells policies apart by name.
    """
    if not names:
        return [policy_for(slo)]
    unique = list(dict.fromkeys(names))
    named = {n: get_policy(n, slo.window.period) for n in unique if n != "spec"}
    if "spec" not in unique:
        return list(named.values())
    own = policy_for(slo)
    if own.name in {p.name for p in named.values()}:
        own = Policy(f"{own.name} (spec)", own.tiers)
    return [named[n] if n != "spec" else own for n in unique]


@dataclass(frozen=True)
class BacktestResult:
    """What :func:`backtest` returns.

    Attributes:
        alerts: one row per alert episode: ``policy``, ``objective`` (the target),
            ``objective_name`` (its label, which tells apart objectives of one target),
            ``tier``, ``severity``, ``group``, ``fired_at``, ``reset_at``, ``duration``,
            ``api``, ``incidents`` (list of the indices into ``incidents`` of every incident
            the episode belongs to; empty for a false alarm) and ``incident`` (the first of
            them, or -1).
        incidents: the incidents considered, with per policy and objective (``policy``,
            ``objective``, ``objective_name``) ``detected``, ``detection_time`` and
            ``reset_time`` (long format: one row per policy x objective x incident).
        summary: one row per policy and objective (see :func:`compare`).
    """

    alerts: pd.DataFrame
    incidents: pd.DataFrame
    summary: pd.DataFrame


def _api_of(slo: Any, group: str) -> str | None:
    if slo.api is not None:
        return slo.api
    for part in str(group).split(","):
        key, _, value = part.partition("=")
        if key == "api":
            return value
    return None


def _match(alerts: pd.DataFrame, incidents: pd.DataFrame, short_windows: pd.Series) -> np.ndarray:
    """Which incidents each alert belongs to: a bool array ``(alerts, incidents)``, vectorised
    over pairs (an alert may belong to several overlapping incidents)."""
    if alerts.empty or incidents.empty:
        return np.zeros((len(alerts), len(incidents)), dtype=bool)
    fired = alerts["fired_at"].to_numpy()[:, None]
    looked_from = (alerts["fired_at"] - short_windows).to_numpy()[:, None]
    starts, ends = incidents["start"].to_numpy()[None, :], incidents["end"].to_numpy()[None, :]
    overlap = (starts < fired) & (looked_from < ends)
    alert_api = alerts["api"].to_numpy(dtype=object)[:, None]
    incident_api = incidents["api"].to_numpy(dtype=object)[None, :]
    same = pd.isna(alert_api) | pd.isna(incident_api) | (alert_api == incident_api)
    return overlap & same


def backtest(
    slo: Any,
    traffic: pd.DataFrame,
    policies: Sequence[Policy] | None = None,
    incidents: pd.DataFrame | None = None,
    start: Any = None,
    end: Any = None,
    step: Any = None,
) -> BacktestResult:
    """Replay ``policies`` (default: the SLO's own) for ``slo`` over a traffic frame.

    Args:
        slo: an :class:`apislo.slo.spec.SLO`.
        traffic: a traffic frame covering the history to replay.
        policies: policies to compare (:func:`policies_for`).
        incidents: from :func:`load_incidents`; restricted to the SLO's API when it has one;
            kinds in :data:`NOT_INCIDENTS` are left out.
        start: first interval start of history (default the frame's first ``ts``).
        end: end of history (default the end of the frame's last interval).
        step: the frame's interval (default inferred).

    Returns:
        :class:`BacktestResult`.
    """
    policies = list(policies or [policy_for(slo)])
    names = [policy.name for policy in policies]
    if len(set(names)) < len(names):  # (rows are told apart by name: each would count both)
        raise ConfigError(f"policies to replay must have distinct names, not {names}")
    if incidents is None:
        incidents = pd.DataFrame(columns=_INCIDENT_COLUMNS)
    if "kind" in incidents:
        incidents = incidents[~incidents["kind"].isin(NOT_INCIDENTS)]
    if slo.api is not None and len(incidents):
        incidents = incidents[incidents["api"].isna() | (incidents["api"] == slo.api)]
    incidents = incidents.reset_index(drop=True)
    alert_parts, incident_parts, keys = [], [], []
    for policy in policies:
        windows = {t.name: pd.Timedelta(t.short_window) for t in policy.tiers}
        histories = alert_history(slo, traffic, policy, start, end, step)
        for objective, history in zip(slo.objectives, histories, strict=True):
            key = (policy.name, objective.target, objective.label)
            keys.append(key)
            episodes = history.intervals()
            for column, value in reversed(list(zip(_KEY_COLUMNS, key, strict=True))):
                episodes.insert(0, column, value)
            episodes["api"] = [_api_of(slo, g) for g in episodes["group"]]
            hits = _match(episodes, incidents, episodes["tier"].map(windows))
            episodes["incidents"] = [np.flatnonzero(row).tolist() for row in hits]
            first = hits.argmax(axis=1) if hits.shape[1] else np.zeros(len(hits), dtype=int)
            episodes["incident"] = np.where(hits.any(axis=1), first, -1)
            alert_parts.append(episodes)
            incident_parts.append(_per_incident(key, episodes, hits, incidents))
    alerts = pd.concat(alert_parts, ignore_index=True)
    per_incident = pd.concat(incident_parts, ignore_index=True)
    return BacktestResult(alerts, per_incident, compare(alerts, per_incident, keys))


def _per_incident(
    key: tuple[str, float, str], alerts: pd.DataFrame, hits: np.ndarray, incidents: pd.DataFrame
) -> pd.DataFrame:
    """Detection and reset of each incident from the alerts that belong to it (``hits``), for
    one policy and objective (``key``: :data:`_KEY_COLUMNS`)."""
    out = incidents.copy()
    out.insert(0, "incident", range(len(out)))
    for column, value in reversed(list(zip(_KEY_COLUMNS, key, strict=True))):
        out.insert(0, column, value)
    first, last_reset = [], []
    for j in range(len(out)):
        mine = alerts[hits[:, j]]
        first.append(mine["fired_at"].min() if len(mine) else pd.NaT)
        still_open = mine["reset_at"].isna().any()
        last_reset.append(pd.NaT if still_open or not len(mine) else mine["reset_at"].max())
    out["detected"] = hits.any(axis=0)
    out["first_alert"] = _times(pd.Series(first, index=out.index, dtype=object))
    out["detection_time"] = out["first_alert"] - _times(out["start"])
    reset = _times(pd.Series(last_reset, index=out.index, dtype=object))
    out["reset_time"] = reset - _times(out["end"])
    return out


def _times(values: pd.Series) -> pd.Series:
    """Timestamps (UTC, ns) with NaT for gaps, whatever dtype ``map`` left them in."""
    return pd.to_datetime(values, utc=True).dt.as_unit("ns")


def compare(
    alerts: pd.DataFrame,
    incidents: pd.DataFrame,
    keys: Sequence[tuple[str, float, str]] | None = None,
) -> pd.DataFrame:
    """Policies side by side: one row per policy (and objective).

    Columns: ``policy``, ``objective`` (the target), ``objective_name`` (its label: two
    objectives of one target, a latency under 0.3 s and under 1 s, are two rows), ``alerts``
    (episodes), ``pages``, ``tickets``,
    ``alert_time`` (total time alerts were active), ``true_alerts``, ``precision`` (NaN
    without alerts), ``incidents``, ``detected``, ``recall`` (NaN without incidents),
    ``detection_time_median``, ``detection_time_max``, ``reset_time_median``,
    ``reset_time_max``. ``keys`` lists the ``(policy, objective, objective_name)`` rows
    (default: those seen).
    """
    rows = []
    columns = list(_KEY_COLUMNS)
    if keys is None:
        seen = pd.concat([alerts[columns], incidents[columns]])
        keys = list(seen.drop_duplicates().itertuples(index=False, name=None))
    for policy, objective, name in keys:
        a = alerts[(alerts["policy"] == policy) & (alerts["objective_name"] == name)]
        i = incidents[(incidents["policy"] == policy) & (incidents["objective_name"] == name)]
        true_alerts = int((a["incident"] >= 0).sum())
        detected = i[i["detected"]]
        rows.append(
            {
                "policy": policy,
                "objective": objective,
                "objective_name": name,
                "alerts": len(a),
                "pages": int((a["severity"] == "page").sum()),
                "tickets": int((a["severity"] == "ticket").sum()),
                "alert_time": a["duration"].sum() if len(a) else pd.Timedelta(0),
                "true_alerts": true_alerts,
                "precision": true_alerts / len(a) if len(a) else float("nan"),
                "incidents": len(i),
                "detected": len(detected),
                "recall": len(detected) / len(i) if len(i) else float("nan"),
                "detection_time_median": detected["detection_time"].median(),
                "detection_time_max": detected["detection_time"].max(),
                "reset_time_median": detected["reset_time"].median(),
                "reset_time_max": detected["reset_time"].max(),
            }
        )
    return pd.DataFrame(rows)
