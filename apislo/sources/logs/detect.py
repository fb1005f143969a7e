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
    scores: dict[str, float] = {}
    for name in FORMATS:
        if name in _EXPLICIT_ONLY:
            continue
        try:
            fmt = get_format(name, options)
        except ImportError as exc:  # a format module that is not installed in this build
            log.debug("format %s unavailable: %s", name, exc)
            continue
        scores[name] = fmt.sniff(sample) if sample else 0.0
    return scores


def detect_format(
    path: str, lines: list[str], options: ParseOptions, min_score: float = MIN_SCORE
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

    Raises:
        FormatDetectionError: no format reaches ``min_score``.
    """
    if options.log_format:
        return "nginx-custom"
    scores = score_formats(lines, options)
    best = max(scores, key=lambda name: scores[name], default=None)
    if best is None or scores[best] <= 0 or scores[best] < min_score:
        raise FormatDetectionError(path, scores)
    return best
