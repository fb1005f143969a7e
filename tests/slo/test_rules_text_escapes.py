"""Spec text that YAML reads as a line break, or that UTF-8 cannot hold, in generated rules.

YAML 1.1 (PyYAML, and the libyaml port in Prometheus) reads NEL (U+0085), LS (U+2028) and PS
(U+2029) as line breaks. Written as they were, in a block or quoted scalar, NEL came back folded:
an annotation ``pay<NEL>ments`` read ``pay ments``, and an API name with one broke its PromQL
matcher (``promtool check rules``: "unterminated quoted string"). A YAML 1.2 reader takes none of
them for a break, so it read the indentation written after them as text. Double-quoted escapes
(``\\N``, ``\\L``, ``\\P``) mean the character itself to every reader.

The expectations handed to ``promtool test rules`` are written as JSON with ASCII escapes only
(``\\u0085``), a second encoding that no reader can fold: promtool passing means it read every
label and annotation of the rules file exactly as the spec wrote it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from apislo import __version__
from apislo.cli.slo_alerts import rules as rules_command
from apislo.errors import SpecError
from apislo.slo import rules
from apislo.slo.spec import SLO, Alerting
from tests.slo.test_rules import SHORT, _promtool, _slo, needs_promtool

#: Characters to carry through: YAML's other line breaks, then controls PyYAML already escaped
#: (C0 ESC, DEL, C1 CSI, NUL, CR), checked the same way.
CHARACTERS = ["\x85", "\u2028", "\u2029", "\x1b", "\x7f", "\x9b", "\x00", "\r"]


def _carrying(text: str) -> SLO:
    """An SLO with ``text`` in its API name, description, a record label, a page label and a
    multi-line annotation."""
    return _slo(
        api=f"check{text}out",
        description=f"Checkout {text} payments.",
        labels=(("team", f"pay{text}ments"),),
        alerting=Alerting(
            tiers=SHORT.tiers[:1],
            page_labels=(("owner", f"{text}ann"),),
            annotations=(("runbook", f"first line\nsecond {text} line{text}"),),
        ),
    )


@pytest.mark.parametrize("char", CHARACTERS, ids=[f"U+{ord(c):04X}" for c in CHARACTERS])
def test_pyyaml_reads_back_the_spec_text(char: str) -> None:
    doc = yaml.safe_load(rules.rules_yaml([_carrying(char)]))
    group = doc["groups"][0]["rules"]
    assert group[0]["labels"]["team"] == f"pay{char}ments"
    assert f'api="check{char}out"' in group[0]["expr"]
    alert = next(r for r in group if "alert" in r)
    assert alert["labels"]["owner"] == f"{char}ann"
    assert alert["annotations"]["runbook"] == f"first line\nsecond {char} line{char}"
    assert alert["annotations"]["description"].endswith(f". Checkout {char} payments.")


def test_yaml_line_breaks_are_written_as_double_quoted_escapes() -> None:
    # YAML 1.1 section 5.7: \N is NEL, \L is LS, \P is PS.
    text = rules.rules_yaml([_slo(labels=(("team", "a\x85b\u2028c\u2029d"),))])
    assert '      team: "a\\Nb\\Lc\\Pd"\n' in text
    assert not any(c in text for c in "\x85\u2028\u2029")


@needs_promtool
@pytest.mark.parametrize("char", CHARACTERS, ids=[f"U+{ord(c):04X}" for c in CHARACTERS])
def test_promtool_reads_the_spec_text_exactly(tmp_path: Path, char: str) -> None:
    slo = _carrying(char)
    (tmp_path / "rules.yaml").write_text(rules.rules_yaml([slo]), encoding="utf-8")
    checked = _promtool("check", "rules", tmp_path / "rules.yaml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tests = rules.promtool_tests_document([slo], "rules.yaml")
    firing = tests["tests"][0]["alert_rule_test"][1]["exp_alerts"][0]
    assert firing["exp_labels"]["team"] == f"pay{char}ments"  # the spec's text, literally
    assert firing["exp_annotations"]["runbook"] == f"first line\nsecond {char} line{char}"
    (tmp_path / "tests.json").write_text(json.dumps(tests, ensure_ascii=True))
    tested = _promtool("test", "rules", tmp_path / "tests.json")
    assert tested.returncode == 0, tested.stdout + tested.stderr


def _spec(path: Path, description: str) -> Path:
    path.write_text(
        "version: apislo/v1\nservice: shop\nslos:\n  - name: checkout-availability\n"
        "    api: checkout\n    sli: {kind: availability}\n    objectives: [{target: 0.999}]\n"
        f"    window: 30d\n    description: {description}\n"
        "    alerting:\n      tiers:\n"
        "        - {severity: page, long_window: 1h, short_window: 5m, factor: 14.4}\n",
        encoding="utf-8",
    )
    return path


def test_a_lone_surrogate_is_refused_naming_the_spec_and_the_field(tmp_path: Path) -> None:
    # PyYAML reads the JSON-style pair "\ud83d\ude00" as two lone surrogates; UTF-8 has no such
    # characters, and promtool refused the file ("found invalid Unicode character escape code").
    # The spec loader refuses them (tests/slo/test_spec_surrogates.py), before any rule is made.
    spec = _spec(tmp_path / "slos.yaml", '"Checkout \\ud83d\\ude00"')
    out = tmp_path / "rules.yaml"
    result = CliRunner().invoke(rules_command, [str(spec), "--out", str(out)])
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: {spec}: slos[0].description: holds U+D83D, half of a UTF-16 surrogate pair, "
        "which UTF-8 cannot hold (nor a query, a rule or a report). Allowed: the character "
        "itself, or one escape such as \\U0001F600 (not a \\ud83d\\ude00 pair).\n",
    )
    assert not out.exists()


def test_a_lone_surrogate_in_an_slo_built_in_python_is_refused_naming_where_it_goes() -> None:
    slo = _slo(description="Checkout \ud83d\ude00", alerting=Alerting(tiers=SHORT.tiers[:1]))
    with pytest.raises(SpecError) as info:
        rules.rules_yaml([slo])
    # the group: ratios over 1h, 5m and 30d (rules 0-2), objective, budget, remaining (3-5),
    # then the page alert (6)
    assert str(info.value) == (
        "<inline>: SLO 'checkout-availability': the text for rules[6].annotations.description "
        "holds U+D83D, half of a UTF-16 surrogate pair, which UTF-8, and so Prometheus, cannot "
        "hold. Allowed: the character itself, or one escape such as \\U0001F600 (not a "
        "\\ud83d\\ude00 pair)."
    )


@needs_promtool
def test_the_character_itself_passes_promtool(tmp_path: Path) -> None:
    spec = _spec(tmp_path / "slos.yaml", '"Checkout \\U0001F600"')
    out = tmp_path / "rules.yaml"
    result = CliRunner().invoke(rules_command, [str(spec), "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = next(r for r in yaml.safe_load(out.read_text())["groups"][0]["rules"] if "alert" in r)
    assert page["annotations"]["description"].endswith(". Checkout \U0001f600")
    checked = _promtool("check", "rules", out)
    assert checked.returncode == 0, checked.stdout + checked.stderr


NAMES = {
    "CR": ("a\rb", "a\\x0Db"),
    "NEL": ("a\x85b", "a\\x85b"),
    "LS": ("a\u2028b", "a\\u2028b"),
    "not UTF-8": ("a\udcffb", "a\\uDCFFb"),  # the byte 0xFF, as Python names it
}


@needs_promtool
@pytest.mark.parametrize(("name", "shown"), NAMES.values(), ids=NAMES.keys())
def test_spec_file_names_stay_in_the_provenance_comment(
    tmp_path: Path, name: str, shown: str
) -> None:
    spec = _spec(tmp_path / f"{name}.yaml", "Checkout")
    out = tmp_path / "rules.yaml"
    result = CliRunner().invoke(rules_command, [str(spec), "--out", str(out)])
    assert result.exit_code == 0, result.output
    first = out.read_text(encoding="utf-8").split("\n", 1)[0]
    assert first == (
        f"# Prometheus rules generated by apislo {__version__} from: "
        f"{tmp_path}/{shown}.yaml (apislo/v1)"
    )
    checked = _promtool("check", "rules", out)
    assert checked.returncode == 0, checked.stdout + checked.stderr
