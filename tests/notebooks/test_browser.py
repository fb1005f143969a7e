"""A generated report opened from disk in headless Chromium with the network off."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import require_binary

pytestmark = pytest.mark.browser


def dump_dom(chromium: str, page: Path, profile: Path) -> str:
    """The DOM Chromium built for ``page`` (scripts could not run: the page's CSP forbids them)."""
    cmd = [
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}", "--proxy-server=127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND", "--dump-dom", page.resolve().as_uri(),
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def test_report_renders_offline_with_data_as_text(explore_report, tmp_path: Path) -> None:
    chromium = require_binary("chromium")
    dom = dump_dom(chromium, explore_report.html_path, tmp_path / "profile")
    svgs = re.findall(r"<svg\b[^>]*>.*?</svg>", dom, re.DOTALL)
    assert len(svgs) == 3
    for svg in svgs:
        width, height = (
            float(re.search(rf'\b{a}="([\d.]+)"', svg).group(1)) for a in ("width", "height")
        )
        assert width > 0 and height > 0
        assert svg.count("<path") >= 3  # marks drawn, not an empty frame
    # the route from the logs is a text node, not an element; no script element exists at all
    assert "<script" not in dom.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    cell = re.search(r"<td[^>]*>([^<]*alert\(1\)[^<]*)</td>", dom)
    assert cell and cell.group(1) == "&lt;script&gt;alert(1)&lt;/script&gt;"
