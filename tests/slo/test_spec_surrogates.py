"""A lone surrogate in a spec file (YAML escapes allow ``"\\ud83d"``) is refused when the spec is
loaded, in every format and every field, keys included, naming the file and the field: UTF-8
cannot hold it, so the query that carried it was a ``UnicodeEncodeError`` traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from apislo.cli import main
from apislo.errors import SpecError
from apislo.slo import load

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "slo"

#: (example file, text in it, what replaces it, the field that then holds the surrogate).
CASES = [
    ("shop.yaml", "api: checkout", 'api: "a\\ud83d"', "slos[0].api"),  # Node.text
    ("shop.yaml", "owners: [team-checkout]", 'owners: ["t\\ud83d"]', "owners[0]"),  # .strings
    ("shop.yaml", 'tier: "1"', 'tier: "\\ud83d"', "labels.tier"),  # Node.labels
    ("shop.yaml", 'tier: "1"', '"t\\udcff": "1"', "labels.t\\udcff"),  # a key
    (  # read by the policy module, not by Node
        "shop.yaml",
        "policy: workbook",
        'tiers: [{name: "p\\ud83d", severity: page, long_window: 1h, short_window: 5m, factor: 2}]',
        "slos[0].alerting.tiers[0].name",
    ),
    (
        "sloth.yaml",
        '"Cart requests that do not fail with 5xx or 429."',
        '"\\ud83d"',
        "slos[0].description",
    ),
    (
        "sloth.yaml",
        '"Cart is burning its error budget"',
        '"\\ud83d"',
        "slos[0].alerting.annotations.summary",
    ),
    (
        "openslo-v1.yaml",
        "displayName: Payments availability",
        'displayName: "\\ud83d"',
        "metadata.displayName",
    ),
    (
        "openslo-v1alpha.yaml",
        'query: sum(increase(http_requests_total{api="orders",code!~"5.."}[{{.window}}]))',
        'query: "sum(x\\ud83d)"',
        "spec.objectives[0].ratioMetrics.good.query",
    ),
]


def _refused(path: Path, field: str, code: str) -> str:
    return (
        f"{path}: {field}: holds {code}, half of a UTF-16 surrogate pair, which UTF-8 cannot "
        "hold (nor a query, a rule or a report). Allowed: the character itself, or one escape "
        "such as \\U0001F600 (not a \\ud83d\\ude00 pair)."
    )


def _spec(tmp_path: Path, example: str, old: str, new: str) -> Path:
    text = (EXAMPLES / example).read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / example
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("example", "old", "new", "field"), CASES)
def test_a_lone_surrogate_is_refused_at_load_naming_file_and_field(
    tmp_path: Path, example: str, old: str, new: str, field: str
) -> None:
    path = _spec(tmp_path, example, old, new)
    code = "U+DCFF" if "udcff" in new else "U+D83D"
    with pytest.raises(SpecError) as info:
        load(path)
    assert str(info.value) == _refused(path, field, code)


def test_the_character_itself_and_a_whole_escape_load(tmp_path: Path) -> None:
    path = _spec(tmp_path, "shop.yaml", "api: checkout", 'api: "\\U0001F600 😀"')
    assert load(path)[0].api == "\U0001f600 \U0001f600"


def test_slo_compute_against_prometheus_says_which_field(tmp_path: Path) -> None:
    """The review's reproducer: a UnicodeEncodeError traceback when the query was sent."""
    spec = _spec(tmp_path, "shop.yaml", "api: checkout", 'api: "a\\ud83d"')
    args = ["slo", "compute", str(spec), "--source", "http://127.0.0.1:9", "--no-cache"]
    result = CliRunner().invoke(main, args)
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: {_refused(spec, 'slos[0].api', 'U+D83D')}\n",
    )
