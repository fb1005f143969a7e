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
    return _Scores(lines, options).all()


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
    if options.log_format is not None:
        return "nginx-custom"
    scores = _Scores(lines, options)
    if hint is not None and scores.holds(hint):
        return hint
    every = scores.all()
    best = max(every, key=lambda name: every[name], default=None)
    if best is None or every[best] <= 0 or every[best] < min_score:
        raise FormatDetectionError(path, every)
    return best


class _Scores:
    """The scores of a sample's non-blank lines, each format sniffed once, when first asked."""

    def __init__(self, lines: list[str], options: ParseOptions) -> None:
        self.sample = [line for line in lines if line.strip()]
        self.options = options
        self.names = [name for name in FORMATS if name not in _EXPLICIT_ONLY]
        self._known: dict[str, float | None] = {}

    def score(self, name: str) -> float | None:
        """The fraction of the sample format ``name`` recognises; ``None`` when its module
        cannot be imported."""
        if name not in self._known:
            try:
                fmt = get_format(name, self.options)
            except ImportError as exc:  # a format module that is not installed in this build
                log.debug("format %s unavailable: %s", name, exc)
                self._known[name] = None
            else:
                self._known[name] = fmt.sniff(self.sample) if self.sample else 0.0
        return self._known[name]

    def holds(self, hint: str) -> bool:
        """Whether ``hint`` recognises every line and no format listed before it does."""
        if hint not in self.names or not self.sample or self.score(hint) != 1.0:
            return False
        before = self.names[: self.names.index(hint)]
        return all(self.score(name) != 1.0 for name in before)

    def all(self) -> dict[str, float]:
        """Every format's score, in registry order (the order ties are broken in)."""
        scores = {name: self.score(name) for name in self.names}
        return {name: score for name, score in scores.items() if score is not None}
