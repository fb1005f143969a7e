"""A local Prometheus for demos and tests: backfill with promtool, serve on loopback.

Facts this relies on (Debian's prometheus 2.42, see FIELD-NOTES.md): OpenMetrics input must end
with ``# EOF`` and carry timestamps in seconds; the default 2 h blocks make promtool re-read the
file per block, so :func:`backfill` passes a wide ``--max-block-duration``; Prometheus compacts
its data directory about a minute after start, so serve a copy of fixture data. promtool writes
blocks at any time it reads, milliseconds taken as seconds too (the year 58,000), and
Prometheus's retention counts back from the newest block: one block that far after now makes it
delete every older block of the directory, so :func:`backfill` keeps none that ends after now.
"""

from __future__ import annotations

import functools
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import requests

from apislo.errors import ApisloError, ConfigError
from apislo.sources.prometheus.transport import Transport, build_session

__all__ = ["LocalPrometheus", "backfill", "free_port"]


def _binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ConfigError(
            f"{name} is not installed; on Debian/Ubuntu: "
            "sudo apt-get install --no-install-recommends prometheus"
        )
    return path


def _dying_with_caller(command: list[str]) -> list[str]:
    """``command`` run so that Linux sends it SIGTERM when the thread that starts it ends, the
    process killed outright (SIGKILL, the OOM killer, a notebook kernel's restart) included:
    through util-linux's ``setpriv --pdeathsig``, present on every Debian (util-linux is
    essential there), which sets the signal and then runs ``command`` in its own process, so
    that its pid is the server's. Elsewhere, or without a ``setpriv`` that has the option
    (:func:`_pdeathsig_setpriv`), ``command`` as it is."""
    setpriv = _pdeathsig_setpriv()
    return command if setpriv is None else [setpriv, "--pdeathsig", "TERM", "--", *command]


@functools.cache
def _pdeathsig_setpriv() -> str | None:
    """The path of a ``setpriv`` that knows ``--pdeathsig`` (util-linux 2.33, 2019, and later),
    on Linux; ``None`` without one: an older one (Ubuntu 18.04's 2.31, RHEL 8's 2.32) or
    BusyBox's refuses the option, which failed every start as ``prometheus exited with status
    1 at start: Try 'setpriv --help' for more information.`` (2026-11-30). Asked once per
    process (its ``--help``, a few milliseconds)."""
    setpriv = shutil.which("setpriv")
    if setpriv is None or not sys.platform.startswith("linux"):
        return None
    try:
        usage = subprocess.run([setpriv, "--help"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):  # (not runnable, or hung)
        return None
    return setpriv if b"--pdeathsig" in usage.stdout + usage.stderr else None


def _make_data_dir(path: Path) -> None:
    """Create the data directory ``path`` (and its parents) if missing.

    Raises:
        ConfigError: it cannot be made (a file in its path, no permission), naming it.
    """
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the data directory {path} ({exc.strerror or exc}); "
            "pass a writable folder as --data-dir"
        ) from None


def _check_openmetrics(path: Path) -> None:
    with path.open("rb") as fh:
        fh.seek(max(path.stat().st_size - 64, 0))
        tail = fh.read().rstrip()
    if not tail.endswith(b"# EOF"):
        raise ConfigError(f"{path} does not end with '# EOF' (promtool rejects it); append it")


def backfill(
    openmetrics: str | Path, data_dir: str | Path, max_block_duration: str = "720h"
) -> Path:
    """Write TSDB blocks from an OpenMetrics file with ``promtool tsdb create-blocks-from``.

    promtool writes into a staging folder inside ``data_dir``; its blocks move into
    ``data_dir`` only once none of them ends after now.

    Args:
        openmetrics: the file (timestamps in seconds, ending with ``# EOF`` and before now).
        data_dir: the Prometheus data directory to write blocks into (created if missing).
        max_block_duration: widest block, a Prometheus duration; the default 2 h makes a
            7-day backfill about 20x slower.

    Returns:
        ``data_dir``.

    Raises:
        ConfigError: promtool is missing, ``data_dir`` cannot be created or written, the file
            is malformed (promtool's message is kept), or it has samples after now (timestamps
            in milliseconds, say): then nothing is written.
    """
    source, target = Path(openmetrics), Path(data_dir)
    if not source.is_file():
        raise ConfigError(f"{source} does not exist")
    _check_openmetrics(source)
    _make_data_dir(target)
    try:
        staging = Path(tempfile.mkdtemp(prefix=".apislo-backfill-", dir=target))
    except OSError as exc:
        raise ConfigError(
            f"cannot write in the data directory {target} ({exc.strerror or exc}); "
            "pass a writable folder as --data-dir"
        ) from None
    try:
        _run_promtool(source, staging, max_block_duration)
        _check_block_times(source, staging, target)
        for block in staging.iterdir():
            block.rename(target / block.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _run_promtool(source: Path, target: Path, max_block_duration: str) -> None:
    """``promtool tsdb create-blocks-from openmetrics`` from ``source`` into ``target``.

    Raises:
        ConfigError: promtool is missing or failed (the last lines of its message).
    """
    cmd = [
        _binary("promtool"),
        "tsdb",
        "create-blocks-from",
        "openmetrics",
        f"--max-block-duration={max_block_duration}",
        str(source),
        str(target),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise ConfigError(f"promtool could not backfill {source}: {' / '.join(message)}")


#: A last sample more seconds than this after the epoch (year 5138) is read as milliseconds:
#: the time of any sample since 1973 written in milliseconds is larger.
_MILLISECONDS_LIKE_S = 1e11


def _check_block_times(source: Path, blocks: Path, data_dir: Path) -> None:
    """Refuse the blocks promtool wrote from ``source`` into ``blocks`` when one ends after
    now: Prometheus's time retention counts back from the newest block, so it deletes the
    blocks of ``data_dir`` older than that by more than the retention (all of them, for a
    block in the year 58,000).

    Raises:
        ConfigError: the last sample is after now; the message says whether its time reads
            as milliseconds.
    """
    ends_ms = [json.loads(meta.read_text())["maxTime"] for meta in blocks.glob("*/meta.json")]
    last_s = (max(ends_ms, default=0) - 1) / 1000  # (a block's maxTime is exclusive)
    now_s = time.time()
    if last_s <= now_s:
        return
    if last_s > _MILLISECONDS_LIKE_S:
        year = 1970 + last_s / (365.2425 * 86400)
        found = (
            f"its last sample is {last_s:.0f} s after 1970, in the year {year:,.0f}: its "
            "timestamps look like milliseconds, where OpenMetrics has seconds (divide them by "
            "1000)"
        )
    else:
        when = datetime.fromtimestamp(last_s, UTC).isoformat().replace("+00:00", "Z")
        found = f"its last sample, at {when}, is after now: backfilled samples must end before now"
    raise ConfigError(
        f"{source}: {found}; nothing was written (Prometheus's retention counts back from the "
        f"newest block: one far after now makes it delete the older blocks of {data_dir})"
    )


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _check_port_free(port: int) -> None:
    """Refuse a port something already listens on: the server would die at once, and the URL
    would show that other server's data.

    Raises:
        ApisloError: the port is in use.
    """
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Prometheus binds
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            raise ApisloError(
                f"port {port} on 127.0.0.1 is in use ({exc.strerror}): another server listens "
                "there; pick another port (0: any free one)"
            ) from None


class LocalPrometheus:
    """Debian's ``prometheus`` on 127.0.0.1 with no scrape jobs, serving ``data_dir``.

    Use as a context manager; the process is stopped by its own pid on exit. On Linux it also
    stops when the thread that started it ends, however that ends (SIGKILL too): start it
    from a thread that lives as long as it is needed (a notebook's cells run in one).

    Args:
        data_dir: TSDB directory (Prometheus rewrites it: pass a copy of fixture data).
        port: TCP port; 0 picks a free one.
        retention: ``--storage.tsdb.retention.time`` (long, so backfilled history is kept).
        web_config: a Prometheus web configuration file (``--web.config.file``), e.g. one whose
            ``tls_server_config`` serves https and asks for client certificates; Prometheus
            reads it at each request.
        tls: how to reach the server that ``web_config`` makes serve https (``ca_file``,
            ``client_cert``...): :attr:`url` is then ``https://``, and the readiness check
            connects with these settings.
        flags: more command-line flags, e.g. ``["--query.max-samples=5000"]`` (a server that
            refuses queries holding more samples than that at once).
    """

    def __init__(
        self,
        data_dir: str | Path,
        port: int = 0,
        retention: str = "10y",
        web_config: str | Path | None = None,
        tls: Transport | None = None,
        flags: Sequence[str] = (),
    ) -> None:
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.retention = retention
        self.web_config = web_config
        self.tls = tls
        self.flags = list(flags)
        self.process: subprocess.Popen[bytes] | None = None
        self._config_dir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 30.0) -> LocalPrometheus:
        """Start the server and wait until it is alive and its own ``/-/ready`` answers 200.

        Raises:
            ConfigError: ``data_dir`` cannot be created.
            ApisloError: the port is taken, or the server exited or did not become ready in
                time (the last line of its log says why).
        """
        _check_port_free(self.port)
        _make_data_dir(self.data_dir)
        self._config_dir = tempfile.TemporaryDirectory(prefix="apislo-prom-")
        config = Path(self._config_dir.name) / "prometheus.yml"
        config.write_text("global:\n  scrape_interval: 1m\nscrape_configs: []\n")
        log = Path(self._config_dir.name) / "prometheus.log"
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                _dying_with_caller(
                    [
                        _binary("prometheus"),
                        f"--config.file={config}",
                        f"--storage.tsdb.path={self.data_dir}",
                        f"--web.listen-address=127.0.0.1:{self.port}",
                        f"--storage.tsdb.retention.time={self.retention}",
                        *([f"--web.config.file={self.web_config}"] if self.web_config else []),
                        *self.flags,
                    ]
                ),
                stdout=subprocess.DEVNULL,  # only its usage text; its log is on stderr
                stderr=out,
            )
        try:
            if self._wait_ready(timeout_s):
                return self
        except BaseException:  # Ctrl-C while waiting: never leave the server running
            self.stop()
            raise
        raise self._failure(log, timeout_s)

    def _failure(self, log: Path, timeout_s: float) -> ApisloError:
        """Stop the server and say why it is not serving: its exit, or no readiness in time."""
        lines = log.read_text(errors="replace").strip().splitlines()
        last = lines[-1] if lines else "no output"
        code = self.process.poll() if self.process is not None else None
        self.stop()
        if code is not None:
            return ApisloError(f"prometheus exited with status {code} at start: {last}")
        return ApisloError(
            f"prometheus did not become ready on {self.url} in {timeout_s:g} s: {last}"
        )

    def _wait_ready(self, timeout_s: float) -> bool:
        """Whether the process started is still alive after its ``/-/ready`` answered 200."""
        deadline = time.monotonic() + timeout_s
        with build_session(self.tls or Transport()) as session:
            while time.monotonic() < deadline and self._alive():
                try:
                    if session.get(self.url + "/-/ready", timeout=1).status_code == 200:
                        return self._alive()
                except requests.RequestException:
                    pass
                time.sleep(0.05)
        return False

    def _alive(self) -> bool:
        """Whether the process started is still running."""
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s) and remove its config."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self._config_dir is not None:
            self._config_dir.cleanup()
            self._config_dir = None

    def __enter__(self) -> LocalPrometheus:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
