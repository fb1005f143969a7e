"""On-disk cache of pulled chunks, so re-running a notebook cell does not hammer Prometheus.

One Parquet file per chunk, keyed by a SHA-256 of the server URL, the request headers (tenant
ids), the server's identity where it tells one (its start time: another dataset served on the same
URL, which takes a restart, never reads the entries of the one before), a digest of the
credentials (bearer token, basic-auth user and password: callers with other credentials, or none,
never share an entry, and no secret is written), the query, the step and the chunk's range. The
credentials digest is a slow one (scrypt), salted with the folder's own random salt
(:data:`SALT_FILE`), so a guessed password cannot be tried fast against the file names. Only
*complete past* chunks are stored: those whose last evaluation time is older than ``settle``
(late scrapes and remote-write lag can still change more recent data). Writes are atomic
(temporary file, then rename); an unreadable entry is dropped and fetched again. A folder that
cannot be written (read-only, a file where a folder should be) stops no pull: one warning names
it, and the pull goes on uncached.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import tempfile
import threading
import warnings
from collections.abc import Callable, Mapping
from contextlib import suppress
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from apislo.errors import WriteError
from apislo.sources.prometheus.chunks import Chunk

__all__ = ["SALT_FILE", "ChunkCache", "default_cache_dir"]

#: The file of a cache folder holding its random salt (16 bytes) for the credentials digest.
SALT_FILE = "credentials.salt"


def default_cache_dir() -> Path:
    """``$APISLO_CACHE_DIR``, else ``$XDG_CACHE_HOME/apislo/prometheus``, else ``~/.cache/...``."""
    if env := os.environ.get("APISLO_CACHE_DIR"):
        return Path(env) / "prometheus"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "apislo" / "prometheus"


class ChunkCache:
    """Parquet files of complete past chunks under ``root``.

    Args:
        root: cache directory (created on first write).
        server: server URL, part of every key.
        headers: request headers (tenant ids), part of every key.
        settle: how long after its last evaluation time a chunk counts as complete.
        credentials: returns a digest, under the folder's salt, of the credentials requests
            carry now (part of every key, asked at each lookup, as secrets are read at each
            request); ``None``: none.
    """

    def __init__(
        self,
        root: str | Path,
        server: str,
        headers: Mapping[str, str],
        settle: pd.Timedelta,
        credentials: Callable[[bytes], str] | None = None,
    ) -> None:
        self.root = Path(root)
        self._server = [server, sorted(headers.items())]
        self.settle = settle
        self._credentials = credentials or (lambda _salt: "")
        self._salt: bytes | None = None
        self._unwritable = False
        self._lock = threading.Lock()

    def _folder_salt(self) -> bytes | None:
        """The folder's salt, or ``None`` when it has none yet (nor any entry of this version)."""
        if self._salt is None:
            with suppress(OSError):  # none yet, or an unreadable folder: a miss, as for no salt
                self._salt = (self.root / SALT_FILE).read_bytes()
        return self._salt

    def _made_salt(self) -> bytes:
        """The folder's salt, made first (:func:`_make_salt`) if it has none."""
        if (salt := self._folder_salt()) is None:
            _make_salt(self.root)
            self._salt = salt = (self.root / SALT_FILE).read_bytes()
        return salt

    def _path(self, query: str, chunk: Chunk, salt: bytes, server_id: str) -> Path:
        key = json.dumps(
            [
                *self._server,
                server_id,
                self._credentials(salt),
                query,
                chunk.step_s,
                chunk.start.isoformat(),
                chunk.end.isoformat(),
            ]
        )
        digest = hashlib.sha256(key.encode()).hexdigest()
        return self.root / digest[:2] / f"{digest}.parquet"

    def cacheable(self, chunk: Chunk, now: pd.Timestamp | None = None) -> bool:
        """Whether ``chunk`` is complete: its end is older than the settle time."""
        now = now if now is not None else pd.Timestamp.now(tz="UTC")
        return chunk.end + self.settle < now

    def get(self, query: str, chunk: Chunk, server_id: str = "") -> pa.Table | None:
        """The stored table for this query and chunk from the server ``server_id`` names, or
        ``None``.

        Args:
            query: the PromQL.
            chunk: its range and step.
            server_id: the server's identity (its start time,
                :meth:`~apislo.sources.prometheus.endpoint.Endpoint.start_time`), part of the key;
                ``""`` for a server that tells none (its URL alone tells it apart).
        """
        salt = self._folder_salt()
        if salt is None:
            return None
        path = self._path(query, chunk, salt, server_id)
        if not path.is_file():
            return None
        try:
            return pq.read_table(path)
        except (OSError, pa.ArrowInvalid):
            path.unlink(missing_ok=True)
            return None

    def put(self, query: str, chunk: Chunk, table: pa.Table, server_id: str = "") -> None:
        """Store ``table`` (from the server ``server_id`` names, as for :meth:`get`) if the chunk
        is complete; silently skip otherwise.

        A folder that cannot be written warns once (:class:`UserWarning`, naming it and what to
        pass instead), and nothing more is stored in it: the pull goes on uncached.
        """
        if not self.cacheable(chunk) or self._unwritable:
            return
        try:
            self._write(self._path(query, chunk, self._made_salt(), server_id), table)
        except OSError as exc:
            self._warn_unwritable(exc)

    def _write(self, path: Path, table: pa.Table) -> None:
        """Write ``table`` to ``path`` atomically (temporary file, then rename)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        os.close(fd)
        try:
            pq.write_table(table, tmp)
            os.replace(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)

    def _warn_unwritable(self, exc: OSError) -> None:
        """Stop writing to the folder, and say so once (chunks are stored from several
        threads)."""
        with self._lock:
            if self._unwritable:
                return
            self._unwritable = True
        warnings.warn(
            f"Prometheus chunk cache: {WriteError(self.root, exc)}; going on without it: make "
            'it writable, or pass cache="/another/folder" (command line: $APISLO_CACHE_DIR) '
            "or cache=False (--no-cache)",
            stacklevel=2,
        )


def _make_salt(root: Path) -> None:
    """Make ``root``'s :data:`SALT_FILE` unless another process makes it first: random bytes
    written to a temporary file, then linked into place, so that no process reads half of one
    and the first process to make it wins (on a file system without hard links, the last one).
    It is readable by all (0644): a salt is no secret, and a user sharing the folder who could
    not read it would fail where they used to miss."""
    root.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=root, suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as file:
            file.write(secrets.token_bytes(16))
        try:
            os.link(tmp, root / SALT_FILE)
        except FileExistsError:  # another process made it first: its salt holds
            pass
        except OSError:  # no hard links here (FAT, some SMB shares)
            os.replace(tmp, root / SALT_FILE)
    finally:
        Path(tmp).unlink(missing_ok=True)
