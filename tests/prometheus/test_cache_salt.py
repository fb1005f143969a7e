"""The chunk cache's credentials digest is a salted scrypt, not a SHA-256 of the secret: someone
who can read the cache folder cannot try guessed passwords against its file names at SHA-256
speed. The salt is the folder's own (random, made once, atomically), so equal credentials share
entries in one folder, as before, and other credentials, or none, never do."""

from __future__ import annotations

import hashlib
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from apislo.sources.prometheus import Prometheus, Transport
from apislo.sources.prometheus.cache import SALT_FILE, ChunkCache
from apislo.sources.prometheus.chunks import Chunk
from apislo.sources.prometheus.transport import credentials_digest

URL = "http://127.0.0.1:9"  # nothing is asked of it: the tests read and write the cache only
QUERY = "sum(up)"
CHUNKS = [
    Chunk(
        pd.Timestamp("2020-01-01T00:00Z") + pd.Timedelta(hours=h),
        pd.Timestamp("2020-01-01T00:59Z") + pd.Timedelta(hours=h),
        60,
    )
    for h in range(6)
]
TABLE = pa.table({"value": [1.0, 2.0]})
ALICE = {"basic_user": "alice", "basic_password_env": "ALICE_PW"}


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALICE_PW", "wonder-land-7")
    monkeypatch.setenv("BOB_PW", "b0b-secret")
    monkeypatch.setenv("TOKEN", "tok-123")


def _cache(folder: Path, **auth: str) -> ChunkCache:
    cache = Prometheus(URL, cache=folder, **auth).cache
    assert cache is not None
    return cache


def test_the_digest_is_a_salted_scrypt_not_a_sha256_of_the_secret() -> None:
    salt = bytes(range(16))
    digest = credentials_digest(Transport(bearer_token_env="TOKEN"), salt)
    # what it was until 2026-11-29: a SHA-256 of ["bearer", token, client cert]
    old = hashlib.sha256(json.dumps(["bearer", "tok-123", None]).encode()).hexdigest()
    assert digest not in (old, hashlib.sha256(b"tok-123").hexdigest())
    # scrypt (n=2**13, r=8, p=1) under the salt, of a SHA-256 of the credentials and headers
    fingerprint = hashlib.sha256(json.dumps(["bearer", "tok-123", None, []]).encode()).digest()
    expected = hashlib.scrypt(fingerprint, salt=salt, n=2**13, r=8, p=1, dklen=32).hex()
    assert digest == expected
    assert credentials_digest(Transport(bearer_token_env="TOKEN"), bytes(16)) != expected


def test_a_guessed_password_cannot_be_checked_with_sha256_against_the_file_names(
    tmp_path: Path,
) -> None:
    _cache(tmp_path, **ALICE).put(QUERY, CHUNKS[0], TABLE)
    # the attacker's fast check until 2026-11-29: the file name of the right guess, from SHA-256s
    credentials = hashlib.sha256(
        json.dumps(["basic", "alice", "wonder-land-7", None]).encode()
    ).hexdigest()
    chunk = CHUNKS[0]
    key = [URL, [], credentials, QUERY, 60, chunk.start.isoformat(), chunk.end.isoformat()]
    guessed = hashlib.sha256(json.dumps(key).encode()).hexdigest()
    stored = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    assert f"{guessed[:2]}/{guessed}.parquet" not in stored
    assert len(stored) == 3  # the salt, one folder and one entry
    assert len((tmp_path / SALT_FILE).read_bytes()) == 16
    assert (tmp_path / SALT_FILE).stat().st_mode & 0o777 == 0o644  # no secret: all may read it


def test_equal_credentials_share_entries_other_ones_and_other_folders_do_not(
    tmp_path: Path,
) -> None:
    _cache(tmp_path / "a", **ALICE).put(QUERY, CHUNKS[0], TABLE)
    hit = _cache(tmp_path / "a", **ALICE).get(QUERY, CHUNKS[0])  # a new object, as a new process
    assert hit is not None and hit.equals(TABLE)
    others = [
        {"basic_user": "bob", "basic_password_env": "BOB_PW"},
        {"basic_user": "alice", "basic_password_env": "BOB_PW"},  # same user, other password
        {"bearer_token_env": "TOKEN"},
        {},  # no credentials
    ]
    for auth in others:
        assert _cache(tmp_path / "a", **auth).get(QUERY, CHUNKS[0]) is None
    assert (
        _cache(tmp_path / "a", **ALICE, headers={"X-Api-Key": "k2"}).get(QUERY, CHUNKS[0]) is None
    )
    _cache(tmp_path / "b", **ALICE).put(QUERY, CHUNKS[0], TABLE)
    salts = [(tmp_path / f / SALT_FILE).read_bytes() for f in "ab"]
    assert salts[0] != salts[1]
    names = [sorted(p.name for p in (tmp_path / f).rglob("*.parquet")) for f in "ab"]
    assert names[0] != names[1]  # equal credentials, other folder: other names


def test_a_key_in_a_header_is_part_of_the_slow_digest() -> None:
    """A header may carry a key (X-Api-Key, an Authorization of another scheme)."""
    digests = {credentials_digest(Transport(headers={"X-Api-Key": key}), bytes(16)) for key in "ab"}
    assert len(digests) == 2


def test_the_digest_is_derived_once_and_costs_well_under_a_tenth_of_a_second(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    salt = os.urandom(16)  # not derived before in this process
    started = time.perf_counter()
    credentials_digest(Transport(**ALICE), salt)
    cost_s = time.perf_counter() - started
    assert 0.005 < cost_s < 0.1, cost_s  # deliberately slow: a SHA-256 takes microseconds
    calls = []
    scrypt = hashlib.scrypt
    monkeypatch.setattr(hashlib, "scrypt", lambda *a, **k: calls.append(1) or scrypt(*a, **k))
    cache = _cache(tmp_path, **ALICE)
    with ThreadPoolExecutor(4) as pool:  # as query_range fetches chunks
        list(pool.map(lambda c: cache.put(QUERY, c, TABLE), CHUNKS))
        hits = list(pool.map(lambda c: _cache(tmp_path, **ALICE).get(QUERY, c), CHUNKS))
    assert all(hit is not None for hit in hits)
    assert len(calls) == 1  # 12 lookups, 4 at a time, 7 cache objects: one derivation


def test_a_salt_made_meanwhile_by_another_process_is_the_one_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = os.link

    def other_process_first(source: str, target: Path) -> None:
        Path(target).write_bytes(b"0123456789abcdef")
        link(source, target)

    monkeypatch.setattr(os, "link", other_process_first)
    _cache(tmp_path, **ALICE).put(QUERY, CHUNKS[0], TABLE)
    monkeypatch.setattr(os, "link", link)
    assert (tmp_path / SALT_FILE).read_bytes() == b"0123456789abcdef"
    assert _cache(tmp_path, **ALICE).get(QUERY, CHUNKS[0]) is not None
    assert not list(tmp_path.glob("*.tmp"))


def test_a_file_system_without_hard_links_still_gets_a_salt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(source: str, target: Path) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", refused)
    _cache(tmp_path, **ALICE).put(QUERY, CHUNKS[0], TABLE)
    assert len((tmp_path / SALT_FILE).read_bytes()) == 16
    assert _cache(tmp_path, **ALICE).get(QUERY, CHUNKS[0]) is not None
    assert not list(tmp_path.glob("*.tmp"))
