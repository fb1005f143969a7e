"""An SVG output whose event handler follows a ``/`` or a quoted value (``<svg/onload=...>``,
``<svg x="1"onload=...>``), as browsers read them, is embedded as an ``<img>``, never inline:
until 2026-11-29 only a handler after a space was seen, and such an SVG was inlined with its
handler, which only the page's Content-Security-Policy kept from running (headless Chromium ran
it once the policy was removed)."""

from __future__ import annotations

import base64
import re

import nbformat
import pytest

from apislo.report.html import notebook_to_html
from apislo.report.provenance import Provenance

SVG_NS = 'xmlns="http://www.w3.org/2000/svg"'


@pytest.mark.parametrize(
    "svg",
    [
        f"<svg {SVG_NS}/onload=\"document.title='x'\"></svg>",
        f'<svg {SVG_NS} width="10"onload="document.title=\'x\'"></svg>',
        f"<svg {SVG_NS} width='10'onload=\"document.title='x'\"></svg>",
    ],
)
def test_a_handler_after_a_slash_or_a_quote_is_never_inlined(svg: str) -> None:
    cell = nbformat.v4.new_code_cell("chart")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"image/svg+xml": svg})]
    notebook = nbformat.v4.new_notebook(cells=[cell])
    provenance = Provenance("chart.ipynb", "run-1", "0.1.0", {}, "2026-11-29T00:00:00", 1.0, "k")
    page = notebook_to_html(notebook, provenance)
    embedded = base64.b64encode(svg.encode()).decode()
    assert re.findall(r'<img [^>]*src="data:image/svg\+xml;base64,([^"]*)"', page) == [embedded]
    assert "onload" not in page
