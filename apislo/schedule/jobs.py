"""Job definitions: one YAML file per job in the schedule directory.

.. code-block:: yaml

    name: slo-daily                       # letters, digits, - and _
    notebook: notebooks/slo_report.ipynb  # relative to the schedule directory's parent
    cron: "0 6 * * *"                     # when it runs, in `timezone`
    timezone: Europe/Paris                # IANA zone (default UTC)
    period: day                           # the data window: last full hour|day|week|month, or none
    parameters:                           # templated: {period_start} {period_end} {scheduled}
      start: "{period_start}"             # ISO 8601, job's zone; strftime too: {period_start:%Y-%m}
      end: "{period_end}"
    output: "{job}/{period_start:%Y-%m-%d}.html"   # under the reports directory
    timeout: 1800                         # overall, seconds
    cell_timeout: 600                     # per cell, seconds
    retries: 1                            # extra attempts after a failure
    keep: 30                              # good reports of this job kept; failed runs not counted
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from apislo.errors import ConfigError
from apislo.text import read_yaml
from apislo.zones import check_timezone

__all__ = ["PERIODS", "Job", "Stamp", "load_job", "load_jobs"]

#: Allowed values of ``period``.
PERIODS: tuple[str, ...] = ("none", "hour", "day", "week", "month")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*\Z")  # (\Z: $ allows a final \n)
_KEYS = {
    "name",
    "notebook",
    "cron",
    "timezone",
    "period",
    "parameters",
    "output",
    "timeout",
    "cell_timeout",
    "retries",
    "keep",
    "description",
}


class Stamp(datetime):
    """A datetime whose ``str()`` is ISO 8601, so ``"{period_start}"`` renders as ISO."""

    def __str__(self) -> str:
        return self.isoformat()


@dataclass(frozen=True)
class Job:
    """One scheduled report.

    Attributes:
        name: job name (history key, lock name).
        notebook: notebook path.
        cron: five-field cron expression, evaluated in ``timezone``.
        timezone: IANA time zone name.
        period: data window kind, one of :data:`PERIODS`.
        parameters: parameter templates.
        output: output path template, relative to the reports directory, ending ``.html``.
        timeout_s: overall timeout per attempt, seconds.
        cell_timeout_s: per-cell timeout, seconds.
        retries: extra attempts after a failure.
        keep: how many of this job's good reports to keep (failed runs do not count); of its
            failed notebooks, only its newest failed run's is kept.
        description: one line for the index page.
        source: the YAML file.
    """

    name: str
    notebook: Path
    cron: str
    timezone: str = "UTC"
    period: str = "day"
    parameters: dict[str, Any] = field(default_factory=dict)
    output: str = ""
    timeout_s: float = 1800.0
    cell_timeout_s: int = 600
    retries: int = 0
    keep: int = 30
    description: str = ""
    source: Path = Path()

    @property
    def zone(self) -> ZoneInfo:
        """The job's time zone."""
        return ZoneInfo(self.timezone)

    def render(
        self, scheduled: datetime, start: datetime, end: datetime
    ) -> tuple[dict[str, Any], str]:
        """Parameters and output path for a run scheduled at ``scheduled`` over ``[start, end)``.

        Values available to templates: ``period_start``, ``period_end`` and ``scheduled``, all in
        the job's zone (ISO 8601 with the offset, so parameters name exact instants and file
        names use local dates), and ``job``.

        Raises:
            ConfigError: a template names an unknown value or the output leaves the reports dir.
        """
        values = {
            "period_start": _stamp(start.astimezone(self.zone)),
            "period_end": _stamp(end.astimezone(self.zone)),
            "scheduled": _stamp(scheduled.astimezone(self.zone)),
            "job": self.name,
        }
        try:
            params = {
                k: v.format_map(values) if isinstance(v, str) else v
                for k, v in self.parameters.items()
            }
            output = self.output.format_map(values)
        except (KeyError, ValueError) as exc:
            raise ConfigError(
                f"{self.source}: template error {exc}; use {{period_start}}, {{period_end}}, "
                "{scheduled} or {job}, optionally with a strftime format like {period_start:%Y-%m}"
            ) from None
        if Path(output).is_absolute() or ".." in Path(output).parts:
            raise ConfigError(f"{self.source}: output {output!r} must stay under the reports dir")
        return params, output


def _stamp(value: datetime) -> Stamp:
    return Stamp.fromisoformat(value.isoformat())


def load_job(path: str | Path) -> Job:
    """Read and validate one job file.

    Raises:
        ConfigError: a file that cannot be read or is not UTF-8 YAML (one line naming the
            line), a missing or unknown key, or an invalid value (a cron expression without
            exactly five fields, a template naming an unknown value, a timeout that is not
            positive, a parameter that looks like a secret at any depth or that the notebook
            does not define); the message names the file and the field.
    """
    from croniter import croniter

    from apislo.report.params import check_parameters
    from apislo.report.runner import check_timeouts

    path = Path(path)
    # (one line naming the line and the problem: PyYAML's own message quotes the file's lines,
    # a credential among them, into the history and the index)
    raw = read_yaml(path, "job file")
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a job file is a YAML mapping (name, notebook, cron, ...)")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown keys {unknown}; allowed: {sorted(_KEYS)}")
    for key in ("name", "notebook", "cron"):
        if not raw.get(key):
            raise ConfigError(f"{path}: '{key}' is required")

    def bad(key: str, allowed: str) -> ConfigError:
        return ConfigError(f"{path}: {key}: {raw.get(key)!r} is not valid; allowed: {allowed}")

    name = str(raw["name"])
    if not _NAME.match(name):
        raise bad("name", "letters, digits, - and _")
    cron = str(raw["cron"])
    # (croniter also reads a sixth field, as seconds: "0 6 * * * *" would fire every second)
    if len(cron.split()) != 5 or not croniter.is_valid(cron):
        raise bad("cron", "a five-field cron expression such as '0 6 * * *'")
    timezone = str(raw.get("timezone", "UTC"))
    try:
        check_timezone(timezone)
    except ConfigError:
        raise bad("timezone", "an IANA zone such as UTC or Europe/Paris") from None
    period = str(raw.get("period", "day"))
    if period not in PERIODS:
        raise bad("period", ", ".join(PERIODS))
    parameters = raw.get("parameters") or {}
    if not isinstance(parameters, dict):  # (its values are not quoted: they may hold secrets)
        raise ConfigError(
            f"{path}: parameters: a {type(parameters).__name__} is not valid; allowed: a "
            "mapping of name: value"
        )
    notebook = Path(str(raw["notebook"]))
    if not notebook.is_absolute():
        notebook = path.parent.parent / notebook
    try:
        parameters = check_parameters(parameters)
        _check_defined(parameters, notebook)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    output = str(raw.get("output") or f"{name}/{{scheduled:%Y-%m-%dT%H%M}}.html")
    if not output.endswith(".html"):
        raise bad("output", "a path template ending with .html")
    try:
        numbers = {
            "timeout_s": float(raw.get("timeout", 1800)),
            "cell_timeout_s": int(raw.get("cell_timeout", 600)),
            "retries": int(raw.get("retries", 0)),
            "keep": int(raw.get("keep", 30)),
        }
    except (TypeError, ValueError):
        raise ConfigError(f"{path}: timeout, cell_timeout, retries and keep are numbers") from None
    if numbers["retries"] < 0:
        raise bad("retries", "a whole number >= 0")
    if numbers["keep"] < 1:
        raise bad("keep", "a whole number >= 1")
    try:
        check_timeouts(numbers["timeout_s"], numbers["cell_timeout_s"])
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    job = Job(
        name=name,
        notebook=notebook,
        cron=cron,
        timezone=timezone,
        period=period,
        parameters=parameters,
        output=output,
        description=str(raw.get("description", "")),
        source=path,
        **numbers,
    )
    sample = datetime(2026, 1, 1, tzinfo=job.zone)
    job.render(sample, sample, sample)  # a bad template is refused now, not when the job runs
    return job


def _check_defined(parameters: dict[str, Any], notebook: Path) -> None:
    """Refuse a parameter ``notebook`` does not define (a misspelt name would run the report
    with the notebook's default, silently), as :func:`~apislo.report.runner.run_report` does.
    A notebook that is missing or cannot be read is left to the job's run, which fails naming
    it, recorded and not retried, as before (the job file itself is not at fault).

    Raises:
        ConfigError: naming the unknown name, the closest defined one and the defined ones.
    """
    from apislo.report.params import check_defined
    from apislo.report.runner import notebook_parameters

    try:
        defined = notebook_parameters(notebook)
    except ConfigError:
        return
    check_defined(parameters, defined, notebook)


def load_jobs(directory: str | Path, invalid: dict[Path, ConfigError] | None = None) -> list[Job]:
    """Every ``*.yaml`` / ``*.yml`` job in ``directory``, sorted by name.

    Files giving the same ``name``, or the same ``output`` (their reports would replace each
    other's, and each job's ``keep`` would delete the other's), are each invalid, as which one
    is meant cannot be told: a job file copied to start a new one stops no other job.

    Args:
        directory: the schedule directory.
        invalid: when given, a file that is not a valid job is put here (path -> its error)
            and the other jobs are loaded; else its error is raised.

    Raises:
        ConfigError: the directory is missing, or (without ``invalid``) a file is invalid or two
            jobs share a name or an output.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise ConfigError(f"schedule directory {directory} not found; pass --dir")
    jobs = []
    for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
        try:
            jobs.append(load_job(path))
        except ConfigError as exc:
            if invalid is None:
                raise
            invalid[path] = exc
    clashes = _clashes(jobs)
    if clashes:
        if invalid is None:
            raise next(iter(clashes.values()))
        invalid.update(clashes)
    return sorted((job for job in jobs if job.source not in clashes), key=lambda j: j.name)


def _clashes(jobs: list[Job]) -> dict[Path, ConfigError]:
    """The job files that share a name or an output template (its ``{job}`` filled in) with
    another, each with an error naming those files (the name's, if both are shared)."""
    checks = (
        ("job name", lambda job: job.name, "give each its own name"),
        ("output", lambda job: job.output.replace("{job}", job.name), "put {job} in it"),
    )
    clashes: dict[Path, ConfigError] = {}
    for what, key, fix in checks:
        groups: dict[str, list[Job]] = {}
        for job in jobs:
            groups.setdefault(key(job), []).append(job)
        for value, same in groups.items():
            if len(same) > 1:
                files = " and ".join(str(job.source) for job in same)
                error = ConfigError(f"{what} {value!r} is used by {files}; {fix}")
                for job in same:
                    clashes.setdefault(job.source, error)
    return clashes
