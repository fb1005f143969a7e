"""The traffic simulator: realistic gateway logs with ground truth, and optional OpenMetrics.

>>> from apislo.simulate import simulate
>>> result = simulate("demo-data", days=7, apis=6, seed=42)    # doctest: +SKIP
>>> result.truth["totals"]["requests"]                          # doctest: +SKIP

Modules: :mod:`~apislo.simulate.catalog` (APIs, routes, plans), :mod:`~apislo.simulate.episodes`,
:mod:`~apislo.simulate.queueing` (Erlang C), :mod:`~apislo.simulate.traffic` (the generator),
:mod:`~apislo.simulate.truth`, :mod:`~apislo.simulate.openmetrics`, :mod:`~apislo.simulate.limits`
(what is refused up front), :mod:`~apislo.simulate.output` (the folder, written all at once),
:mod:`~apislo.simulate.run`.
"""

from __future__ import annotations

from apislo.simulate.run import SimulationResult, default_end, simulate
from apislo.simulate.truth import truth_from_events

__all__ = ["SimulationResult", "default_end", "simulate", "truth_from_events"]
