"""Format detection and file-level errors of apislo.slo.load, and calendar periods."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from apislo.errors import SpecError
from apislo.slo import load
from apislo.slo.spec import TimeWindow
from apislo.slo.windows import parse_shorthand, period_bounds, period_ids


def test_unknown_format_lists_the_known_ones(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("apiVersion: sloth.slok.dev/v1\nkind: PrometheusServiceLevel\n")
    with pytest.raises(SpecError) as info:
        load(path)
    assert info.value.field == "document 1"
    assert "unknown spec format 'sloth.slok.dev/v1'" in str(info.value)
    assert "openslo/v1" in info.value.allowed and "prometheus/v1" in info.value.allowed


def test_invalid_yaml_gives_the_line(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("version: apislo/v1\nslos: [\n  - {name: a\n")
    with pytest.raises(SpecError) as info:
        load(path)
    assert info.value.field.startswith("line ")
    assert "is not valid YAML" in str(info.value)


def test_a_date_that_cannot_be_is_a_spec_error_without_the_value(tmp_path: Path) -> None:
    # `startTime: 2026-02-30 00:00:00` (YAML reads it as a date) was a ValueError traceback from
    # `apislo slo validate`; `!!bool` and `!!timestamp` of other text a KeyError and an
    # AttributeError, the KeyError's message being the value
    path = tmp_path / "x.yaml"
    path.write_text("apiVersion: openslo/v1\nkind: SLO\nx: 2026-02-30 00:00:00\n")
    with pytest.raises(SpecError) as info:
        load(path)
    assert str(info.value) == (
        f"{path}: <file>: is not valid YAML: a value does not fit its type "
        "(day is out of range for month)."
    )
    for tagged in ("!!bool hunter2", "!!timestamp hunter2"):
        path.write_text(f"apiVersion: openslo/v1\nkind: SLO\nx: {tagged}\n")
        with pytest.raises(SpecError) as info:
            load(path)
        assert (
            str(info.value) == f"{path}: <file>: is not valid YAML: a value does not fit its tag."
        )


def test_missing_file_and_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="does not exist"):
        load(tmp_path / "nope.yaml")
    with pytest.raises(SpecError, match=r"holds no \.yaml or \.yml spec files"):
        load(tmp_path)


def test_files_without_any_slo_are_refused(tmp_path: Path) -> None:
    # An empty file (or OpenSLO Service documents only) gave no SLO and no error, so
    # `apislo slo validate` said "0 SLO(s) valid" and exited 0, and compute printed nothing.
    empty = tmp_path / "empty.yaml"
    empty.write_text("\n# nothing here\n")
    service = tmp_path / "service.yaml"
    service.write_text("apiVersion: openslo/v1\nkind: Service\nmetadata: {name: shop}\nspec: {}\n")
    allowed = (
        "Allowed: at least one SLO (apislo/v1 or Sloth `slos:` items, an OpenSLO `kind: SLO`)."
    )
    with pytest.raises(SpecError) as info:
        load(empty)
    assert str(info.value) == f"{empty}: <file>: holds no SLO. {allowed}"
    with pytest.raises(SpecError) as info:
        load([service, empty])
    assert str(info.value) == f"{service}, {empty}: <file>: holds no SLO. {allowed}"


def test_document_that_is_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("- just\n- a list\n")
    with pytest.raises(SpecError, match="document 1: is not a mapping"):
        load(path)


def test_shorthand_is_case_sensitive() -> None:
    assert parse_shorthand("1m") == (1, "m")
    assert parse_shorthand("1M") == (1, "M")
    with pytest.raises(ValueError, match="not a duration shorthand"):
        parse_shorthand("1 month")


@pytest.mark.parametrize(
    ("unit", "tz", "at", "start", "end"),
    [
        # Quarter in New York holding 2026-11-04 03:00Z: 1 Oct 00:00 EDT (04:00Z) to
        # 1 Jan 00:00 EST (05:00Z).
        ("quarter", "America/New_York", "2026-11-04T03:00Z", "2026-10-01T04:00Z",
         "2027-01-01T05:00Z"),
        # ISO week (Monday) in UTC holding Sunday 2026-03-08: Monday 2 March to Monday 9 March.
        ("week", "UTC", "2026-03-08T23:59Z", "2026-03-02T00:00Z", "2026-03-09T00:00Z"),
        # Month in Paris: 2026-03-31 22:30Z is already April (CEST, UTC+2).
        ("month", "Europe/Paris", "2026-03-31T22:30Z", "2026-03-31T22:00Z",
         "2026-04-30T22:00Z"),
        ("year", "UTC", "2026-06-01T00:00Z", "2026-01-01T00:00Z", "2027-01-01T00:00Z"),
    ],
)  # fmt: skip
def test_calendar_period_bounds(unit: str, tz: str, at: str, start: str, end: str) -> None:
    window = TimeWindow.calendar_window(unit, tz)  # type: ignore[arg-type]
    assert period_bounds(window, pd.Timestamp(at)) == (pd.Timestamp(start), pd.Timestamp(end))


def test_two_week_periods_phase_from_start() -> None:
    # Fortnights anchored on Monday 2026-01-05: 5-18 Jan, 19 Jan-1 Feb...
    from datetime import datetime

    window = TimeWindow(kind="calendar", unit="week", count=2, start=datetime(2026, 1, 5))
    ts = pd.DatetimeIndex(["2026-01-05", "2026-01-18T23:00", "2026-01-19", "2026-02-01"], tz="UTC")
    ids = period_ids(ts, window)
    assert np.diff(ids).tolist() == [0, 1, 0]
    assert period_bounds(window, pd.Timestamp("2026-01-20T00:00Z"))[0] == pd.Timestamp(
        "2026-01-19T00:00Z"
    )
    assert window.period == timedelta(days=14)


def test_a_control_character_gives_a_one_line_error_with_its_line(tmp_path: Path) -> None:
    # YAML forbids NUL; PyYAML's reader error has no problem_mark and a two-line str().
    path = tmp_path / "x.yaml"
    path.write_text('version: apislo/v1\nservice: s\nslos:\n  - name: a\n    description: "\x00"\n')
    with pytest.raises(SpecError) as info:
        load(path)
    assert info.value.field == "line 5"
    assert "\n" not in str(info.value)
    assert str(info.value) == (
        f"{path}: line 5: is not valid YAML: character #x0000: special characters are not allowed."
    )


def test_weeks_start_on_the_weekday_of_the_window_start() -> None:
    # Friday 2026-11-27: weeks run Friday to Friday, fortnights from it too
    from datetime import datetime

    week = TimeWindow(kind="calendar", unit="week", start=datetime(2026, 11, 27))
    assert period_bounds(week, pd.Timestamp("2026-11-28T12:00Z")) == (
        pd.Timestamp("2026-11-27T00:00Z"),
        pd.Timestamp("2026-12-04T00:00Z"),
    )
    assert period_bounds(week, pd.Timestamp("2026-11-26T23:59Z"))[0] == pd.Timestamp(
        "2026-11-20T00:00Z"
    )
    fortnight = TimeWindow(kind="calendar", unit="week", count=2, start=datetime(2026, 11, 27))
    assert period_bounds(fortnight, pd.Timestamp("2026-12-12T00:00Z")) == (
        pd.Timestamp("2026-12-11T00:00Z"),
        pd.Timestamp("2026-12-25T00:00Z"),
    )


def test_a_key_given_twice_is_refused_naming_it_and_its_lines(tmp_path: Path) -> None:
    # PyYAML kept the second `objectives:` silently: the 99% objective was lost without a word
    path = tmp_path / "x.yaml"
    path.write_text(
        "version: apislo/v1\n"
        "service: shop\n"
        "slos:\n"
        "  - name: avail\n"
        "    sli: {kind: availability}\n"
        "    objectives:\n"
        "      - target: 0.99\n"
        "    objectives:\n"
        "      - target: 0.9\n"
    )
    with pytest.raises(SpecError) as info:
        load(path)
    assert str(info.value) == (
        f"{path}: line 8: is not valid YAML: duplicate key 'objectives' (also on line 6): keep one."
    )


def test_values_nested_too_deep_are_a_spec_error(tmp_path: Path) -> None:
    # a mapping nested 1,000 deep was a RecursionError traceback (PyYAML composes nested values
    # recursively); the nesting is all on line 3
    path = tmp_path / "x.yaml"
    path.write_text(f"version: apislo/v1\nservice: shop\nx: {'{a: ' * 1000}1{'}' * 1000}\n")
    with pytest.raises(SpecError) as info:
        load(path)
    assert str(info.value) == (
        f"{path}: line 3: is not valid YAML: values nested too deep (hundreds of lists or "
        "mappings, one in another): nest them less."
    )
