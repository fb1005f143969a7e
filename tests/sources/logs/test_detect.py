"""Format detection: what each simulated log is detected as, with and without a hint."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from apislo.simulate import simulate
from apislo.sources.logs import ParseOptions, format_names
from apislo.sources.logs.detect import detect_format

#: Formats the simulator writes and detection tries (nginx-custom needs a log_format).
WRITTEN = [n for n in format_names() if n != "nginx-custom" and not n.startswith("test-")]


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Format name -> the first 200 lines of a log the simulator wrote in it."""
    out = tmp_path_factory.mktemp("detect")
    found: dict[str, list[str]] = {}
    for i in range(0, len(WRITTEN), 8):  # (the simulator gives each of at most 8 APIs a format)
        group = WRITTEN[i : i + 8]
        result = simulate(
            out / str(i),
            days=0.05,
            apis=len(group),
            seed=3,
            formats=group,
            end=datetime(2026, 11, 1, tzinfo=UTC),
        )
        for path in result.logs.values():
            name = Path(path).name.split(".")[1]  # logs/<api>.<format>.log
            found[name] = Path(path).read_text().splitlines()[:200]
    return found


def test_each_simulated_log_is_detected_as_written(samples: dict[str, list[str]]) -> None:
    assert sorted(samples) == sorted(WRITTEN)
    detected = {name: detect_format(name, lines, ParseOptions()) for name, lines in samples.items()}
    assert detected == {name: name for name in samples}


def test_a_hint_never_changes_what_is_detected(samples: dict[str, list[str]]) -> None:
    """Ingest tries the format of the previous file first. Whatever the hint, right or wrong,
    detection must answer what scoring every format answers: the format written (above); for
    half nginx-timed, half nginx-combined lines, the same with every hint; and for JSON lines
    holding the members of both nginx-json and envoy-json records, which nginx-json, envoy-json
    and tyk-json all read in full, nginx-json, listed first, even with the hint envoy-json."""
    mixed = samples["nginx-timed"][:100] + samples["nginx-combined"][:100]
    both = [
        json.dumps({**json.loads(envoy), **json.loads(nginx)})
        for nginx, envoy in zip(samples["nginx-json"], samples["envoy-json"], strict=False)
    ]
    cases = {**samples, "mixed": mixed, "both": both}
    assert detect_format("both", both, ParseOptions()) == "nginx-json"
    for name, lines in cases.items():
        expected = detect_format(name, lines, ParseOptions())
        got = {hint: detect_format(name, lines, ParseOptions(), hint=hint) for hint in WRITTEN}
        assert got == dict.fromkeys(WRITTEN, expected), name
