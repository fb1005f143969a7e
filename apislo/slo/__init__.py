"""SLOs: specs (apislo YAML, OpenSLO, Sloth), exact SLO maths over history, evaluation.

>>> import apislo.slo
>>> slos = apislo.slo.load("examples/slo/shop.yaml")                      # doctest: +SKIP
>>> result = apislo.slo.evaluate(slos, "data/", at="2026-11-01T00:00Z")   # doctest: +SKIP
>>> result.summary                                                         # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from apislo._lazy import lazy_exports
from apislo.slo.spec import SLI, SLO, Alerting, Objective, SourceHints, TimeWindow

__all__ = [
    "SLI",
    "SLO",
    "Alerting",
    "EvaluationResult",
    "Objective",
    "SourceHints",
    "SpecWarning",
    "TimeWindow",
    "compliance_history",
    "evaluate",
    "load",
]

if TYPE_CHECKING:
    from apislo.slo.evaluation import EvaluationResult, compliance_history, evaluate
    from apislo.slo.loader import SpecWarning, load

_LAZY = {
    "load": "apislo.slo.loader",
    "SpecWarning": "apislo.slo.loader",
    "compliance_history": "apislo.slo.evaluation",
    "evaluate": "apislo.slo.evaluation",
    "EvaluationResult": "apislo.slo.evaluation",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
