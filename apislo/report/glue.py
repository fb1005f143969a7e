"""Values a notebook keeps for its caller: a hidden output that tests and jobs read back.

A recorded value is a display output with the MIME type :data:`RECORD_MIME` and no other
representation, so JupyterLab and the HTML report show nothing for it, while the executed
``.ipynb`` keeps it (like scrapbook's ``glue``).

>>> from apislo.report import record
>>> record("attainment", 0.9991)     # in a notebook cell          # doctest: +SKIP
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["RECORD_MIME", "read_records", "record"]

RECORD_MIME = "application/vnd.apislo.record+json"


def record(name: str, value: Any) -> None:
    """Keep ``value`` (JSON-serialisable; pandas frames become lists of row dicts) under ``name``.

    Args:
        name: key to read it back with :func:`read_records`.
        value: the value; a DataFrame or Series is converted with ``to_dict``.
    """
    from IPython.display import display

    if hasattr(value, "to_dict"):
        value = value.to_dict(orient="records") if hasattr(value, "columns") else value.to_dict()
    payload = json.loads(json.dumps({"name": name, "value": value}, default=str))
    display({RECORD_MIME: payload}, raw=True)


def read_records(nb: Any) -> dict[str, Any]:
    """Recorded values of an executed notebook (a ``nbformat`` node), name -> value; last wins."""
    found: dict[str, Any] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            payload = output.get("data", {}).get(RECORD_MIME)
            if payload is not None:
                found[payload["name"]] = payload["value"]
    return found
