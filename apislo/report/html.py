"""Executed notebook -> one self-contained, offline HTML file (code hidden, charts inline SVG).

nbconvert's ``lab`` template, with everything that would reach the network removed (require.js,
MathJax, Mermaid and widget scripts from CDNs) and a Content-Security-Policy that forbids scripts
and any fetch, so the page works offline, in email, and cannot run script from the data. Charts
(``image/svg+xml`` from vl-convert) are inlined as ``<svg>`` elements; an SVG holding anything
script-like is embedded as an ``<img>`` instead, where browsers never run it. Tables come from
pandas, which escapes cell text.
"""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime
from typing import Any

from apislo.report.provenance import Provenance, provenance_html

__all__ = ["CSP", "notebook_to_html"]

#: No scripts, no network: inline styles and ``data:`` images only.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:"

#: What could run script in an SVG: a script or foreignObject element, an event handler (an
#: attribute name starts after a space, a ``/`` or a quoted value: ``<svg/onload=...>`` and
#: ``<svg x="1"onload=...>`` run as ``<svg onload=...>`` does), a ``javascript:`` URL.
_SCRIPTY = re.compile(r"<\s*script|<\s*foreignObject|[\s/\"']on\w+\s*=|javascript:", re.IGNORECASE)

_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}
<meta http-equiv="Content-Security-Policy" content="{{ resources.apislo_csp }}">
{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{% block extra_css %}
<style type="text/css">
.apislo-provenance { margin: 1em 2em; font-size: 0.85em; color: #333; }
.apislo-provenance th { text-align: left; padding-right: 1em; vertical-align: top; }
.apislo-provenance td { word-break: break-word; }
.jp-RenderedSVG svg { max-width: 100%; height: auto; }
</style>
{% endblock extra_css %}
{%- block body_header -%}
{{ super() }}
{{ resources.apislo_provenance_html }}
{%- endblock body_header -%}
{% block data_svg scoped -%}
<div class="jp-RenderedSVG jp-OutputArea-output {{ extra_class }}" data-mime-type="image/svg+xml">
{%- if output.data['image/svg+xml'] | apislo_svg_is_safe %}
{{ output.data['image/svg+xml'] }}
{%- else %}
<img src="data:image/svg+xml;base64,{{ output.data['image/svg+xml'] | text_base64 | escape_html }}">
{%- endif %}
</div>
{%- endblock data_svg %}
"""


def _svg_is_safe(svg: str) -> bool:
    """Whether an SVG document may be inlined: nothing that could run script."""
    return _SCRIPTY.search(svg) is None


def notebook_to_html(nb: Any, provenance: Provenance) -> str:
    """Render an executed notebook as a self-contained HTML page.

    Args:
        nb: the executed notebook (``nbformat`` node).
        provenance: shown at the top of the page.

    Returns:
        The HTML document, with no external ``src``/``href`` and no script.
    """
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    from apislo.report.glue import RECORD_MIME

    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if "outputs" in cell:
            cell.outputs = [o for o in cell.outputs if RECORD_MIME not in o.get("data", {})]

    exporter = HTMLExporter(
        template_name="lab",
        template_file="apislo_report.html.j2",
        extra_loaders=[DictLoader({"apislo_report.html.j2": _TEMPLATE})],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    exporter.register_filter("apislo_svg_is_safe", _svg_is_safe)
    resources = {
        "apislo_csp": CSP,
        "apislo_provenance_html": provenance_html(provenance),
        "metadata": {"name": _title(provenance)},
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body


def _title(provenance: Provenance) -> str:
    """The page title: the notebook and the data window it states, in UTC (a browser tab or a
    bookmark of ``slo-daily/2026-11-27.html`` then says which report it is)."""
    name = provenance.notebook.rsplit("/", 1)[-1].removesuffix(".ipynb")
    if not provenance.window:
        return name
    start, end = (_utc_minute(w) for w in provenance.window)
    return f"{name}, {start} to {end} UTC"


def _utc_minute(value: str) -> str:
    try:
        return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return value
