"""A parameter the notebook's `parameters` cell does not define is refused before any kernel
starts (until 2026-11-30 papermill injected it, logged a warning no one saw, and the report ran
with the notebook's default: `-p windw_days 7` or a misspelt job parameter made a report that was
silently wrong). The new helpers are imported in the tests that use them, so the others run on
the code before them."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from apislo.cli import main
from apislo.errors import ConfigError
from apislo.report import run_report
from tests.report.conftest import NOTEBOOKS

SHIPPED = Path(__file__).resolve().parents[2] / "notebooks"
EXPLORE = "apis, dataset, days, end, interval, profile, prometheus_url, slice_by, start, top"


@pytest.mark.parametrize(
    ("notebook", "names"),
    [
        # read off each parameters cell by hand; papermill.inspect_notebook (2.7) misses the
        # ones whose comment holds a second `=` (explore's start, end and apis, slo_report's at)
        ("explore.ipynb", ["dataset", "prometheus_url", "profile", "start", "end", "days",
                           "interval", "apis", "slice_by", "top"]),
        ("slo_report.ipynb", ["spec", "dataset", "prometheus_url", "at", "step",
                              "history_period", "history_periods", "timezone"]),
        ("incident_review.ipynb", ["api", "start", "end", "spec", "dataset", "prometheus_url",
                                   "interval", "step"]),
    ],
)  # fmt: skip
def test_the_shipped_notebooks_define_their_parameters(notebook: str, names: list[str]) -> None:
    from apislo.report.runner import notebook_parameters

    assert notebook_parameters(SHIPPED / notebook) == names


def _notebook(source: str, cell_type: str = "code", tags: tuple[str, ...] = ("parameters",)):
    """A notebook whose first cell is ``source``, tagged ``tags``."""
    cell = (nbformat.v4.new_code_cell if cell_type == "code" else nbformat.v4.new_markdown_cell)(
        source
    )
    cell.metadata["tags"] = list(tags)
    return nbformat.v4.new_notebook(cells=[cell, nbformat.v4.new_code_cell("x = 1")])


def test_the_names_a_parameters_cell_assigns_are_its_parameters() -> None:
    from apislo.report.params import defined_parameters

    source = (
        "a = 1  # comment with = and == in it\n"
        "b: int = 2\n"
        "c, (d, *e) = 1, (2, 3, 4)\n"
        "f = g = [\n    'x = y',\n]\n"
        "a = 5\n"  # (given twice: once)
        "h: str\n"
        "obj.attr = 1\n"
        "table[0] = 1\n"
        "a += 1\n"
        "import os\n"
        "def helper():\n    inner = 1\n"
    )
    # (an import and a def bind their names as an assignment does; `inner` is helper's own)
    assert defined_parameters(_notebook(source), "nb.ipynb") == [
        "a", "b", "c", "d", "e", "f", "g", "h", "os", "helper",
    ]  # fmt: skip


def test_no_parameters_cell_and_a_markdown_one() -> None:
    from apislo.report.params import defined_parameters

    assert defined_parameters(_notebook("x = 1", tags=()), "nb.ipynb") is None
    assert defined_parameters(_notebook("days = 7", "markdown"), "nb.ipynb") == []


def test_a_parameters_cell_that_is_not_python_is_named_with_its_line() -> None:
    """(An IPython magic is Python to its kernel: test_parameters_cell_forms.py.)"""
    from apislo.report.params import defined_parameters

    with pytest.raises(ConfigError) as info:
        defined_parameters(_notebook("days = 7\ntop = = 10\n"), "nb.ipynb")
    assert str(info.value) == (
        "nb.ipynb: its parameters cell is not Python apislo can read (line 2: invalid syntax); "
        "write its defaults as plain assignments such as `days = 7`"
    )


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["days", "daays"], "unknown parameter 'daays' (did you mean 'days'?): nb.ipynb's "
                            "parameters cell defines days, interval, top"),
        (["intervall", "qqq"], "unknown parameters 'intervall' (did you mean 'interval'?), "
                               "'qqq': nb.ipynb's parameters cell defines days, interval, top"),
    ],
)  # fmt: skip
def test_unknown_names_are_named_with_the_closest_defined_one(
    names: list[str], message: str
) -> None:
    from apislo.report.params import check_defined

    with pytest.raises(ConfigError) as info:
        check_defined(names, ["top", "days", "interval"], "nb.ipynb")
    assert str(info.value) == message


def test_a_notebook_without_parameters_cell_takes_none() -> None:
    from apislo.report.params import check_defined

    check_defined([], None, "nb.ipynb")
    with pytest.raises(ConfigError) as info:
        check_defined(["n"], None, "nb.ipynb")
    assert str(info.value) == (
        "unknown parameter 'n': nb.ipynb has no cell tagged parameters, so it takes none; tag "
        "the cell that sets its defaults `parameters`"
    )
    with pytest.raises(ConfigError) as info:
        check_defined(["n"], [], "nb.ipynb")
    assert str(info.value) == "unknown parameter 'n': nb.ipynb's parameters cell defines nothing"


def test_run_report_refuses_a_misspelt_parameter_before_a_kernel_starts(tmp_path: Path) -> None:
    notebook = NOTEBOOKS / "good.ipynb"
    with pytest.raises(ConfigError) as info:
        run_report(notebook, {"n": 3, "routs": ["/pay"]}, tmp_path / "r.html")
    assert str(info.value) == (
        f"unknown parameter 'routs' (did you mean 'routes'?): {notebook}'s parameters cell "
        "defines n, routes"
    )
    assert list(tmp_path.iterdir()) == []  # nothing executed, nothing written


def test_report_run_refuses_the_briefs_typo(tmp_path: Path) -> None:
    """`windw_days` is close to no explore parameter (difflib's ratio with `days` is
    2 * 4 / 14 = 0.57, under its 0.6): the message lists them all."""
    notebook = SHIPPED / "explore.ipynb"
    args = [
        "report",
        "run",
        str(notebook),
        "-p",
        "windw_days",
        "7",
        "--out",
        str(tmp_path / "e.html"),
    ]
    result = CliRunner().invoke(main, args)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: unknown parameter 'windw_days': {notebook}'s parameters cell defines {EXPLORE}\n"
    )
    assert list(tmp_path.iterdir()) == []
