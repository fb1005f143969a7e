"""Pick the log format of a file from a sample of its lines."""

from __future__ import annotations

import logging

from apislo.errors import FormatDetectionError
from apislo.sources.logs import FORMATS, get_format
from apislo.sources.logs.base import ParseOptions

__all__ = ["MIN_SCORE", "detect_format", "score_formats"]

log = logging.getLogger(__name__)

#: A format must recognise at least this fraction of the sample's non-blank lines, unless the
#: caller tolerates more rejects (``ingest(max_reject_rate=...)``).
MIN_SCORE = 0.5

# Formats that only apply when the user says so (they need options).
_EXPLICIT_ONLY = frozenset({"nginx-custom"})


def score_formats(lines: list[str], options: ParseOptions) -> dict[str, float]:
    """Format name -> fraction of ``lines`` it recognises, for every auto-detectable format.

    A format whose module is not importable is skipped with a debug log line.
    """
    sample = [line for line in lines if line.strip()]
    scores = {name: _score(name, sample, options) for name in _detectable()}
    return {name: score for name, score in scores.items() if score is not None}


def detect_format(
    path: str,
    lines: list[str],
    options: ParseOptions,
    min_score: float = MIN_SCORE,
    hint: str | None = None,
) -> str:
    """The best-scoring format for a sample of a file's lines.

    With ``options.log_format`` set, the answer is always ``nginx-custom``. Ties go to the
    format listed first in the registry.

    Args:
        path: the file (for the error message).
        lines: its sample.
        options: format options.
        min_score: the fraction of the sample's non-blank lines the best format must recognise
            (at least one line, whatever this says).
        hint: a format to try first (ingest gives the one its previous file had). When it
            recognises every line and no format listed before it does, it is what scoring every
            format would choose, and the formats after it are not tried: a folder of small logs
            of one format spent most of its time here (16 formats sniffed per file).

    Raises:
        FormatDetectionError: no format reaches ``min_score``.
    """
    if options.log_format:
        return "nginx-custom"
    if hint is not None and _hint_holds(hint, lines, options):
        return hint
    scores = score_formats(lines, options)
    best = max(scores, key=lambda name: scores[name], default=None)
    if best is None or scores[best] <= 0 or scores[best] < min_score:
        raise FormatDetectionError(path, scores)
    return best


def _detectable() -> list[str]:
    """The formats detection tries, in registry order."""
    return [name for name in FORMATS if name not in _EXPLICIT_ONLY]


def _score(name: str, sample: list[str], options: ParseOptions) -> float | None:
    """The fraction of ``sample`` (non-blank lines) format ``name`` recognises; ``None`` when
    its module cannot be imported."""
    try:
        fmt = get_format(name, options)
    except ImportError as exc:  # a format module that is not installed in this build
        log.debug("format %s unavailable: %s", name, exc)
        return None
    return fmt.sniff(sample) if sample else 0.0


def _hint_holds(hint: str, lines: list[str], options: ParseOptions) -> bool:
    """Whether ``hint`` recognises every line of the sample and no format before it does."""
    names = _detectable()
    sample = [line for line in lines if line.strip()]
    if hint not in names or not sample or _score(hint, sample, options) != 1.0:
        return False
    return all(_score(name, sample, options) != 1.0 for name in names[: names.index(hint)])
