"""The names a parameters cell defines are those it binds as its IPython kernel runs it: magics
and `!` commands are read as the kernel reads them (until 2026-11-30 a `%matplotlib inline` in
the cell refused every run of the notebook, with parameters or none, where papermill had run
it), and a name bound inside an `if`, `try`, `for` or `with` block, by a walrus or an import is
a parameter too (it was refused as unknown, though papermill injects it and the notebook uses
it)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from apislo.errors import ConfigError
from apislo.report import run_report
from apislo.report.params import check_defined, defined_parameters
from tests.report.conftest import NOTEBOOKS


def _notebook(source: str):
    """A notebook whose first cell, tagged ``parameters``, is ``source``."""
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = ["parameters"]
    return nbformat.v4.new_notebook(cells=[cell, nbformat.v4.new_code_cell("print(days)")])


@pytest.mark.parametrize(
    ("source", "names"),
    [
        ("%matplotlib inline\ndays = 7\n", ["days"]),
        ("days = 7\n%config InlineBackend.figure_format = 'svg'\n", ["days"]),
        ("!echo hi\ndays = 7\n", ["days"]),
        ("files = !ls\ndays = 7\n", ["files", "days"]),  # (IPython's getoutput)
        ("home = %env HOME\n", ["home"]),
        ("days = 7\ndays?\n", ["days"]),  # (IPython's help)
    ],
)
def test_magics_and_shell_escapes_are_read_as_the_kernel_reads_them(
    source: str, names: list[str]
) -> None:
    assert defined_parameters(_notebook(source), "nb.ipynb") == names


def test_names_bound_in_blocks_imports_and_walruses_are_defined() -> None:
    source = (
        "import os\n"
        "from datetime import date as start\n"
        "try:\n"
        "    dataset = os.environ['APISLO_DATASET']\n"
        "except KeyError:\n"
        "    dataset = 'data/demo/events'\n"
        "if dataset.startswith('/'):\n"
        "    top = 5\n"
        "for api in ():\n"
        "    pass\n"
        "with open(os.devnull) as fh:\n"
        "    pass\n"
        "(days := 7)\n"
        "def helper():\n"
        "    inner = 1\n"
        "obj.attr = 2\n"
    )
    defined = defined_parameters(_notebook(source), "nb.ipynb")
    # in the order they are first named; `inner` is helper's, `obj` is only read
    assert defined == ["os", "start", "dataset", "top", "api", "fh", "days", "helper"]
    check_defined(["dataset", "top", "days"], defined, "nb.ipynb")  # (no error)


def test_a_null_byte_is_named_without_a_line_number() -> None:
    """(Python gives it no line: until 2026-11-30 the message said `line None`.)"""
    with pytest.raises(ConfigError) as info:
        defined_parameters(_notebook("days = 7\x00"), "nb.ipynb")
    assert str(info.value) == (
        "nb.ipynb: its parameters cell is not Python apislo can read (source code string "
        "cannot contain null bytes); write its defaults as plain assignments such as `days = 7`"
    )


def test_a_notebook_with_a_magic_in_its_parameters_cell_runs(tmp_path: Path) -> None:
    """good.ipynb with `%precision 3` first in its parameters cell: it records n + 2 * n."""
    nb = nbformat.read(NOTEBOOKS / "good.ipynb", as_version=4)
    nb.cells[0].source = "%precision 3\n" + nb.cells[0].source
    notebook = tmp_path / "magic.ipynb"
    nbformat.write(nb, notebook)
    result = run_report(notebook, {"n": 4}, tmp_path / "out" / "magic.html")
    assert result.records["total"] == 12
