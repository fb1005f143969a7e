"""Values a notebook keeps for its caller: a hidden output that tests and jobs read back.

A recorded value is a display output with the MIME type :data:`RECORD_MIME` and no other
representation, so JupyterLab and the HTML report show nothing for it, while the executed
``.ipynb`` keeps it (like scrapbook's ``glue``).

>>> from apislo.report import record
>>> record("attainment", 0.9991)     # in a notebook cell          # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["RECORD_MIME", "read_records", "record"]

RECORD_MIME = "application/vnd.apislo.record+json"


def record(name: str, value: Any) -> None:
    """Keep ``value`` under ``name``: JSON-serialisable values as they are, a DataFrame as a list
    of row dicts and a Series as a dict (timestamps ISO 8601, NaN as ``null``).

    Args:
        name: key to read it back with :func:`read_records`.
        value: the value.
    """
    from IPython.display import display

    if hasattr(value, "to_json"):
        orient = "records" if hasattr(value, "columns") else "index"
        value = json.loads(value.to_json(orient=orient, date_format="iso"))
    payload = json.loads(json.dumps({"name": name, "value": _finite(value)}, default=str))
    display({RECORD_MIME: payload}, raw=True)


def _finite(value: Any) -> Any:
    """NaN and infinities -> ``None``: JSON has none, and JupyterLab cannot open such a notebook."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def read_records(nb: Any) -> dict[str, Any]:
    """Recorded values of an executed notebook (a ``nbformat`` node), name -> value; last wins."""
    found: dict[str, Any] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            payload = output.get("data", {}).get(RECORD_MIME)
            if payload is not None:
                found[payload["name"]] = payload["value"]
    return found
