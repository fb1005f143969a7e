"""Load SLO specs from files: detects each YAML document's format and maps it into :class:`SLO`.

Formats (one module each under :mod:`apislo.slo.formats`):

=========================== ==================================================================
document starts with         format
=========================== ==================================================================
``version: apislo/v1``       apislo's own YAML (:mod:`~apislo.slo.formats.apislo_yaml`)
``apiVersion: openslo/v1``   OpenSLO v1 (:mod:`~apislo.slo.formats.openslo`)
``apiVersion: openslo/v1alpha`` OpenSLO v1alpha
``version: prometheus/v1``   Sloth (:mod:`~apislo.slo.formats.sloth`)
=========================== ==================================================================

Suspicious input raises :class:`SpecWarning` (a ``UserWarning``); invalid input raises
:class:`~apislo.errors.SpecError` naming the file, the field and what is allowed.

>>> slos = load("examples/slo/")                                 # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from apislo.errors import SpecError
from apislo.slo.formats import apislo_yaml, openslo, sloth
from apislo.slo.formats._fields import SpecWarning
from apislo.slo.spec import SLO
from apislo.text import (
    HALF_PAIR,
    SURROGATE_INSTEAD,
    YAML_VALUE_ERRORS,
    lone_surrogate,
    yaml_loader,
    yaml_problem,
    yaml_value_problem,
)

__all__ = ["FORMATS", "SpecWarning", "check_ids", "load", "spec_files"]

#: Format tag -> the key that holds it.
FORMATS: dict[str, str] = {
    apislo_yaml.VERSION: "version",
    sloth.VERSION: "version",
    openslo.V1: "apiVersion",
    openslo.V1ALPHA: "apiVersion",
}
_SUFFIXES = (".yaml", ".yml")

PathLike = str | os.PathLike[str]


def spec_files(paths: PathLike | Iterable[PathLike]) -> list[Path]:
    """The spec files named by ``paths``; a directory gives its ``*.yaml`` / ``*.yml`` files."""
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    files: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in _SUFFIXES and p.is_file())
            if not found:
                raise SpecError(str(path), "<directory>", "holds no .yaml or .yml spec files")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise SpecError(str(path), "<file>", "does not exist", "a spec file or a directory")
    return files


def _documents(path: Path) -> tuple[str, list[Mapping[str, Any]]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(str(path), "<file>", f"cannot be read ({exc})") from None
    try:
        docs = [d for d in yaml.load_all(text, Loader=yaml_loader()) if d is not None]
    except yaml.YAMLError as exc:
        where, problem = yaml_problem(exc, text)
        raise SpecError(str(path), where, f"is not valid YAML: {problem}") from None
    except YAML_VALUE_ERRORS as exc:  # (`startTime: 2026-02-30 00:00:00`)
        raise SpecError(
            str(path), "<file>", f"is not valid YAML: {yaml_value_problem(exc)}"
        ) from None
    for i, doc in enumerate(docs):
        if not isinstance(doc, Mapping):
            raise SpecError(str(path), f"document {i + 1}", "is not a mapping")
        _refuse_surrogates(doc, path)
    return text, docs


def _refuse_surrogates(doc: Mapping[str, Any], path: Path) -> None:
    """Refuse a lone surrogate anywhere in a spec document (any key or text of any format):
    UTF-8 cannot hold one, so no query, rule or report could carry it.

    Raises:
        SpecError: naming the file and the field (``slos[0].api``).
    """
    if found := lone_surrogate(doc):
        where, character = found
        raise SpecError(
            str(path),
            where,
            f"holds {character}, {HALF_PAIR} (nor a query, a rule or a report)",
            SURROGATE_INSTEAD,
        )


def _format(doc: Mapping[str, Any], path: Path, i: int) -> str:
    for tag, key in FORMATS.items():
        if doc.get(key) == tag:
            return tag
    found = doc.get("apiVersion") or doc.get("version")
    raise SpecError(
        str(path),
        f"document {i + 1}",
        f"unknown spec format {found!r}" if found else "has no version or apiVersion",
        "version: apislo/v1, apiVersion: openslo/v1, apiVersion: openslo/v1alpha, "
        "version: prometheus/v1 (Sloth)",
    )


def load(paths: PathLike | Iterable[PathLike]) -> list[SLO]:
    """Load every SLO from spec files (or directories of them), in any supported format.

    OpenSLO ``v1`` references (``indicatorRef``, ``alertPolicyRef``, ``conditionRef``,
    ``metricSourceRef``) resolve across all the files given.

    Args:
        paths: a file, a directory, or several of them.

    Returns:
        The SLOs, in file order.

    Raises:
        SpecError: a file is missing or invalid (naming the file, field and what is allowed),
            the files hold no SLO at all, two SLOs share a name, or two objectives an
            ``apislo_id`` (:func:`check_ids`).
    """
    slos: list[SLO] = []
    v1_docs: list[tuple[str, Mapping[str, Any]]] = []
    files = spec_files(paths)
    for path in files:
        text, docs = _documents(path)
        for i, doc in enumerate(docs):
            tag = _format(doc, path, i)
            if tag == apislo_yaml.VERSION:
                slos.extend(apislo_yaml.parse(doc, str(path)))
            elif tag == sloth.VERSION:
                slos.extend(sloth.parse(doc, str(path)))
            elif tag == openslo.V1ALPHA:
                slos.extend(openslo.parse_v1alpha(doc, str(path)))
            else:
                v1_docs.append((str(path), doc))
        if text and any(_format(d, path, i).startswith("openslo/") for i, d in enumerate(docs)):
            openslo.scan_text(text, str(path))
    slos.extend(openslo.parse_v1(v1_docs))
    if not slos:  # (an empty file, or OpenSLO Service documents only: nothing to check or run)
        raise SpecError(
            ", ".join(map(str, files)) or "(no spec file given)",
            "<file>",
            "holds no SLO",
            "at least one SLO (apislo/v1 or Sloth `slos:` items, an OpenSLO `kind: SLO`)",
        )
    seen: dict[str, str] = {}
    for slo in slos:
        if slo.name in seen:
            raise SpecError(
                slo.origin,
                "name",
                f"SLO {slo.name!r} is also defined in {seen[slo.name]}",
                "unique SLO names across the files given",
            )
        seen[slo.name] = slo.origin
    check_ids(slos)
    return slos


def check_ids(slos: Sequence[SLO]) -> None:
    """Refuse two objectives with one ``apislo_id`` (``<service>-<name>-<objective label>``):
    their Prometheus rule groups would share a name and their alerts their labels.

    The loaders refuse two objectives of one SLO with one label where the spec gives them;
    this catches SLOs built in Python, and SLOs whose service and name run together alike
    (service ``shop-eu``, SLO ``api`` and service ``shop``, SLO ``eu-api``).

    Raises:
        SpecError: naming the later SLO's file, its objective (or ``name``) and the other one.
    """
    seen: dict[str, tuple[SLO, int]] = {}
    for slo in slos:
        for i, objective in enumerate(slo.objectives):
            key = slo.objective_id(objective)
            if key not in seen:
                seen[key] = (slo, i)
                continue
            other, j = seen[key]
            if other is slo:
                raise SpecError(
                    slo.origin,
                    f"objectives[{i}]",
                    f"its label {objective.label!r} is also that of objectives[{j}] (an "
                    "objective without a name is labelled by its target), so both would get "
                    f"the apislo_id {key!r}",
                    "a distinct name per objective, or distinct targets",
                )
            raise SpecError(
                slo.origin,
                "name",
                f"SLO {slo.name!r} of service {slo.service!r} gives its objective "
                f"{objective.label!r} the apislo_id {key!r}, as SLO {other.name!r} of service "
                f"{other.service!r} in {other.origin} does",
                "service and SLO names whose <service>-<name> differ",
            )
