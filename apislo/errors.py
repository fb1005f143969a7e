"""The one exception tree of apislo.

Every error apislo raises on purpose derives from :class:`ApisloError`, so a notebook or a job can
catch one class. Subclasses carry the facts a caller needs as attributes, and their messages say
what to do next.
"""

from __future__ import annotations

import errno
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apislo.sources.ingest import IngestReport

__all__ = [
    "PYTHON_ARGUMENTS",
    "ApisloError",
    "ArgumentNames",
    "ConfigError",
    "DatasetWriteError",
    "FilesRefusedError",
    "FormatDetectionError",
    "FrameTooLargeError",
    "IngestError",
    "InsideDatasetError",
    "LockUnsupportedError",
    "LogFormatNeededError",
    "NativeHistogramError",
    "PrometheusError",
    "PrometheusQueryError",
    "PrometheusUnavailableError",
    "RejectRateError",
    "ReportJobsFailed",
    "ReportRunError",
    "ReportWriteError",
    "SpecError",
    "WriteError",
]


class ApisloError(Exception):
    """Root of every error apislo raises on purpose."""


@dataclass(frozen=True)
class ArgumentNames:
    """How the messages of reading logs (its errors and warnings) name its arguments: as the
    caller's user passes them, keyword arguments from Python (:data:`PYTHON_ARGUMENTS`), the
    options of ``apislo ingest`` on the command line.

    Attributes:
        dataset: the dataset's folder's (``dataset=``; ``--out``).
        format: the format's (``format=``; ``--format``).
        format_name: it with a format name to give (``format='NAME'``; ``--format NAME``).
        log_format: the NGINX template's (``log_format=``; ``--log-format``).
        tz: the time zone's, naming the zone given (``tz``; ``--tz``).
        tz_zone: it with a zone to give (``tz='ZONE'``; ``--tz ZONE``).
        max_reject_rate: the highest fraction of rejects (``max_reject_rate``;
            ``--max-reject-rate``).
        log_format_value: the NGINX template's with a template to give
            (``log_format='<body of the log_format directive>'``; ``--log-format '<body of the
            log_format directive>'``).
    """

    dataset: str
    format: str
    format_name: str
    log_format: str
    tz: str
    tz_zone: str
    max_reject_rate: str
    log_format_value: str


#: The keyword arguments of :func:`~apislo.sources.ingest.read_logs` and
#: :func:`~apislo.sources.ingest.ingest` (``tz`` and ``log_format``: those of ``ParseOptions``).
PYTHON_ARGUMENTS = ArgumentNames(
    "dataset=",
    "format=",
    "format='NAME'",
    "log_format=",
    "tz",
    "tz='ZONE'",
    "max_reject_rate",
    "log_format='<body of the log_format directive>'",
)


class ConfigError(ApisloError, ValueError):
    """A parameter, option or configuration value is not allowed."""


class LockUnsupportedError(ConfigError):
    """A lock file's file system keeps no locks: ``flock`` fails with ``ENOLCK`` or
    ``EOPNOTSUPP`` (NFS without its lock daemon, some FUSE and SMB mounts).

    Attributes:
        path: the lock file.
        reason: the operating system's error.
    """

    def __init__(self, path: str | os.PathLike[str], reason: OSError) -> None:
        self.path, self.reason = Path(path), reason
        super().__init__(
            f"cannot lock {path}: {reason.strerror or reason}: its file system keeps no file "
            "locks (flock); put it on one that does, such as a local disk"
        )


class IngestError(ApisloError):
    """Reading or storing access logs failed (the file, not one line: bad lines are quarantined)."""


class InsideDatasetError(ConfigError):
    """A path to ingest lies inside the dataset being written (or is its quarantine): the
    dataset's own files are never read as logs, so the logs there would silently add nothing.

    Attributes:
        path: the path as given (a glob's folder lies in the dataset).
        dataset: the dataset's folder.
        names: how the message names the dataset's argument (Python's ``dataset=`` by
            default; until 2026-11-30 the command's ``--out``, from Python too).
    """

    def __init__(self, path: str, dataset: str, names: ArgumentNames = PYTHON_ARGUMENTS) -> None:
        self.path, self.dataset, self.names = path, dataset, names
        super().__init__(
            f"{path}: lies in the dataset being written ({dataset}, or its quarantine), and a "
            f"dataset's files are never read as logs: move the logs out of {dataset}, or write "
            f"the dataset elsewhere ({names.dataset})"
        )

    def passing(self, names: ArgumentNames) -> InsideDatasetError:
        """The same refusal naming the arguments as ``names`` do (the command's options)."""
        return InsideDatasetError(self.path, self.dataset, names)


class FrameTooLargeError(ConfigError):
    """A complete traffic frame would hold more rows than apislo builds: refused before it is.

    Attributes:
        intervals: intervals in its span.
        groups: groups (at least 1).
        limit: the most rows.
        advice: what to change, as the caller's user can (``complete=False`` in Python; a
            longer step for the SLO commands).
    """

    def __init__(self, intervals: int, groups: int, limit: int, advice: str) -> None:
        self.intervals, self.groups, self.limit, self.advice = intervals, groups, limit, advice
        super().__init__(
            f"a complete traffic frame would hold {intervals * groups:,} rows ({intervals:,} "
            f"intervals x {groups:,} groups), over {limit:,}; {advice}"
        )

    def advising(self, advice: str) -> FrameTooLargeError:
        """The same refusal with other advice (for callers whose users set other knobs)."""
        return FrameTooLargeError(self.intervals, self.groups, self.limit, advice)


class LogFormatNeededError(ConfigError):
    """Format ``nginx-custom`` was named without the NGINX ``log_format`` that wrote the logs.

    Attributes:
        names: how the message names the template's argument: ``log_format='...'`` from Python
            (:func:`~apislo.sources.ingest.read_logs`, ``ParseOptions``; the default),
            ``--log-format '...'`` on the command line.
    """

    def __init__(self, names: ArgumentNames = PYTHON_ARGUMENTS) -> None:
        self.names = names
        super().__init__(
            "format nginx-custom needs the log_format that wrote the file: pass "
            + names.log_format_value
        )

    def passing(self, names: ArgumentNames) -> LogFormatNeededError:
        """The same refusal naming the arguments as ``names`` do (the command's options)."""
        return LogFormatNeededError(names)


class FormatDetectionError(IngestError):
    """No known log format recognises a file.

    Attributes:
        path: the file that was sniffed.
        scores: format name -> fraction of sample lines it recognised.
        names: how the message names the arguments that choose a format (Python's by
            default; until 2026-11-30 the command's options, from Python too).
    """

    def __init__(
        self, path: str, scores: dict[str, float], names: ArgumentNames = PYTHON_ARGUMENTS
    ) -> None:
        self.path, self.scores, self.names = path, scores, names
        best = sorted(scores.items(), key=lambda kv: -kv[1])[:3]
        tried = ", ".join(f"{name} {score:.0%}" for name, score in best) or "none"
        super().__init__(
            f"{path}: no log format recognises this file (best matches: {tried}). "
            f"Pass {names.format_name}, or {names.log_format} with the NGINX log_format line "
            "that wrote it."
        )

    def passing(self, names: ArgumentNames) -> FormatDetectionError:
        """The same error naming the arguments as ``names`` do (the command's options)."""
        return FormatDetectionError(self.path, self.scores, names)


class FilesRefusedError(IngestError):
    """Some files of an ingest run were refused (wrong format, mostly rejects, unreadable);
    nothing of them was added, and the run's other files were stored.

    Attributes:
        errors: path -> why that file was refused (a :class:`FormatDetectionError`, a
            :class:`RejectRateError` or another :class:`IngestError`), or why that folder
            could not be listed (its files were not read).
        report: the run's :class:`~apislo.sources.ingest.IngestReport` (what was stored).
    """

    def __init__(self, errors: dict[str, IngestError], report: IngestReport) -> None:
        self.errors, self.report = errors, report
        reasons = "\n".join(str(error) for error in errors.values())
        super().__init__(
            f"{len(errors)} file(s) refused, nothing of them added (the other files were "
            f"stored):\n{reasons}"
        )


class RejectRateError(IngestError):
    """Too many lines of a file were rejected: most likely the wrong format was chosen.

    The rate is that of all the lines read of the file in the run (its new part, for a file
    read before), or, when none of its first lines is a request, of those: the file is then
    read no further (``read_to_end`` is ``False``).

    Attributes:
        path: the file.
        fmt: the format used.
        rejected: records rejected.
        lines: lines read.
        max_rate: the allowed fraction.
        records: records read (requests and rejects; more than the lines when lines hold
            batches of records, as Kong's http-log does).
        read_to_end: whether the counts are those of all the lines there were to read.
        names: how the message names the arguments (Python's by default; until 2026-11-30
            the command's options, from Python too).
    """

    def __init__(
        self,
        path: str,
        fmt: str,
        rejected: int,
        lines: int,
        max_rate: float,
        records: int | None = None,
        read_to_end: bool = True,
        names: ArgumentNames = PYTHON_ARGUMENTS,
    ) -> None:
        self.path, self.fmt = path, fmt
        self.rejected, self.lines, self.max_rate = rejected, lines, max_rate
        self.records = lines if records is None else records
        self.read_to_end, self.names = read_to_end, names
        rate = rejected / max(self.records, 1)
        limit = f"above {names.max_reject_rate} {max_rate:.1%}"
        found = (
            f"{rejected:,} of {self.records:,} {self.unit} ({rate:.1%}) are not {fmt} requests, "
            f"{limit}"
            if read_to_end
            else f"none of the first {lines:,} lines read is a {fmt} request ({rate:.1%}, {limit})"
            ", so it was read no further"
        )
        self.found = found
        super().__init__(
            f"{path}: {found}. Nothing from this file was added (its lines are not quarantined"
            f" either); {self.check}."
        )

    @property
    def check(self) -> str:
        """What to check: ``check format= (or log_format=)``, as :attr:`names` name them."""
        return f"check {self.names.format} (or {self.names.log_format})"

    def kept_before(self, line: int) -> IngestError:
        """This refusal of the part of a file from ``line`` on (where its ``log_format``
        changed), the lines before it stored."""
        return IngestError(
            f"{self.path}: from line {line:,}, where its format changed, {self.found}. The lines "
            f"before line {line:,} were stored; nothing from there on was added (nor "
            f"quarantined); {self.check}."
        )

    @property
    def unit(self) -> str:
        """What the counts count: ``"lines"``, or ``"records (in 3 lines)"`` for batches."""
        return "lines" if self.records == self.lines else f"records (in {self.lines:,} lines)"

    @property
    def mostly(self) -> bool:
        """Whether most of the records read were rejected."""
        return 2 * self.rejected > self.records


class WriteError(ApisloError):
    """A file or folder apislo writes could not be written (disk full, read-only file system,
    no permission, a file where a folder should be): ``cannot write PATH: REASON``.

    Attributes:
        path: the file or folder.
        reason: the operating system's error.
    """

    def __init__(self, path: str | os.PathLike[str], reason: OSError) -> None:
        self.path, self.reason = Path(path), reason
        super().__init__(f"cannot write {path}: {_why(self.path, reason)}")


def _why(path: Path, reason: OSError) -> str:
    """The operating system's reason, or, when a file stands where a folder must be (``File
    exists`` making it, ``Not a directory`` below it), which file that is."""
    if reason.errno in (errno.EEXIST, errno.ENOTDIR):
        for place in (path, *path.parents):
            if place.exists() and not place.is_dir():
                return f"{place} is a file, not a folder"
    return str(reason.strerror or reason)


class DatasetWriteError(WriteError, IngestError):
    """A file or folder of an ingest's dataset, or its quarantine, could not be written (disk
    full, read-only file system, no permission, a file where a folder should be).

    The run stops there. The file being read adds nothing: its Parquet parts were only staged
    (they are removed) and its rejects are kept out of the quarantine, which never keeps part
    of a record. The files committed before it stay stored. Should the failure come while a
    commit is carried out (its journal written), the next run finishes that commit. Free space
    (or make the dataset writable) and run again.

    Attributes:
        report: the run's :class:`~apislo.sources.ingest.IngestReport` up to the failure (what
            it stored before), or ``None`` when it failed before reading any file.
    """

    report: IngestReport | None = None


class SpecError(ApisloError, ValueError):
    """An SLO spec is invalid.

    Attributes:
        path: the spec file (or ``"<inline>"``).
        field: dotted path of the offending field.
        problem: what is wrong with it.
        allowed: what the field accepts.
    """

    def __init__(self, path: str, field: str, problem: str, allowed: str = "") -> None:
        self.path, self.field, self.problem, self.allowed = path, field, problem, allowed
        hint = f" Allowed: {allowed}." if allowed else ""
        super().__init__(f"{path}: {field}: {problem}.{hint}")


class PrometheusError(ApisloError):
    """Base of errors talking to Prometheus or a PromQL-compatible store."""


class PrometheusUnavailableError(PrometheusError):
    """The server could not be reached after retries.

    Attributes:
        url: the server's base URL.
        reason: the last transport error.
    """

    def __init__(self, url: str, reason: str) -> None:
        self.url, self.reason = url, reason
        super().__init__(
            f"Prometheus at {url} is unreachable ({reason}). Check the URL, that the server runs "
            "and that this machine can reach it."
        )


class PrometheusQueryError(PrometheusError):
    """Prometheus answered a query with an error.

    Attributes:
        status: HTTP status code.
        error_type: Prometheus's ``errorType`` (e.g. ``bad_data``), or ``""``.
        query: the PromQL sent.
        start, end: the time range asked for (ISO 8601); an instant query's time is ``start``
            and ``end`` is ``None``.
    """

    def __init__(
        self,
        status: int,
        error_type: str,
        error: str,
        query: str,
        start: str | None = None,
        end: str | None = None,
    ) -> None:
        self.status, self.error_type, self.error = status, error_type, error
        self.query, self.start, self.end = query, start, end
        span = f" over {start} .. {end}" if start and end else f" at {start}" if start else ""
        kind = f" {error_type}" if error_type else ""
        super().__init__(f"Prometheus error {status}{kind}: {error} (query {query!r}{span})")


class NativeHistogramError(PrometheusError, ConfigError):
    """A query's answer holds native histogram samples (Prometheus's ``histograms`` or
    ``histogram`` key), which a tidy frame, one float per series and time, cannot hold: asking
    again would give the same answer.

    Attributes:
        metric: the labels of the first series holding them (with ``__name__`` when the query
            keeps it).
        query: the PromQL sent.
    """

    def __init__(self, metric: dict[str, str], query: str) -> None:
        self.metric, self.query = metric, query
        name = metric.get("__name__", "")
        # (a JSON string is a PromQL one: the same escapes for \\, " and line breaks)
        labels = ",".join(
            f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in metric.items() if k != "__name__"
        )
        buckets = f"{name}_bucket" if name else "the metric's _bucket series"
        super().__init__(
            f"query {query!r}: series {name}{{{labels}}} holds native histogram samples; apislo "
            "reads float samples only (one value per series and time): query the classic "
            f"histogram's buckets ({buckets}, with their le label) instead, or turn the native "
            "histogram into floats in the query with histogram_count(), histogram_sum(), "
            "histogram_fraction() or histogram_quantile()"
        )


class ReportRunError(ApisloError):
    """A report notebook failed; the last good report was kept.

    Attributes:
        notebook: the notebook that ran.
        cell_index: index of the failing cell, or -1 when unknown (kernel death, timeout).
        ename: exception name (``"Timeout"``, ``"DeadKernel"``...).
        evalue: exception message.
        executed_path: where the failed executed notebook was kept for debugging, or ``""``
            when none was kept.
        not_kept: why none was kept (``"the notebook never started"``, a write error).
    """

    def __init__(
        self,
        notebook: str,
        cell_index: int,
        ename: str,
        evalue: str,
        executed_path: str,
        not_kept: str = "",
    ) -> None:
        self.notebook, self.cell_index = notebook, cell_index
        self.ename, self.evalue, self.executed_path = ename, evalue, executed_path
        self.not_kept = not_kept
        where = f"cell {cell_index}" if cell_index >= 0 else "the kernel"
        kept = (
            f"the failed run is in {executed_path}"
            if executed_path
            else f"no failed notebook was kept ({not_kept})"
        )
        super().__init__(
            f"{notebook}: {where} failed with {ename}: {evalue}. The last good report, if any, "
            f"was left as it was; {kept}."
        )


class ReportJobsFailed(ApisloError):
    """Some report jobs of a batch (``apislo demo``) failed; the others' reports were written.

    Attributes:
        jobs: names of the failed jobs.
        index: the reports site's index, which shows each failure's error.
    """

    def __init__(self, jobs: list[str], index: str) -> None:
        self.jobs, self.index = jobs, index
        super().__init__(f"report job(s) {', '.join(jobs)} failed; see {index} for the errors")


class ReportWriteError(WriteError):
    """A file or folder of the reports could not be written. What was there before is left as
    it was."""
