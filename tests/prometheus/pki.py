"""Throwaway certificates for TLS tests, made by the ``openssl`` command (the ``cryptography``
package is not installed): a CA, and certificates it signs for a server or a client, valid,
already expired or not yet valid. Keys are unencrypted P-256 keys; everything is written under
the folder given.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from tests.conftest import require_binary

__all__ = ["Pair", "issue", "make_ca"]


@dataclass(frozen=True)
class Pair:
    """The paths of a PEM certificate and of its unencrypted PEM key."""

    cert: str
    key: str


def _openssl(*args: str) -> None:
    subprocess.run([require_binary("openssl"), *args], check=True, capture_output=True)


def _paths(folder: Path, name: str) -> Pair:
    return Pair(str(folder / f"{name}.pem"), str(folder / f"{name}.key"))


def make_ca(folder: Path, name: str) -> Pair:
    """A self-signed CA certificate (``CN=name``), valid for two days."""
    ca = _paths(folder, name)
    _openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-days", "2", "-subj", f"/CN={name}", "-addext", "basicConstraints=critical,CA:TRUE",
        "-keyout", ca.key, "-out", ca.cert,
    )  # fmt: skip
    return ca


def issue(
    folder: Path, name: str, ca: Pair, extension: str, days: int = 2, start: str | None = None
) -> Pair:
    """A certificate (``CN=name``) signed by ``ca`` with one X.509v3 ``extension``
    (``subjectAltName=IP:127.0.0.1`` for a server, ``extendedKeyUsage=clientAuth`` for a
    client), valid from now for ``days`` days (``-1``: a validity that ended a day ago, which
    OpenSSL and Go call expired), or from ``start`` (``YYYYMMDDHHMMSSZ``, UTC) for ``days``
    days: a date to come makes one not yet valid (made by ``openssl ca``, as OpenSSL 3.0's
    ``x509 -req`` starts every validity now)."""
    pair = _paths(folder, name)
    request, extfile = folder / f"{name}.csr", folder / f"{name}.ext"
    extfile.write_text(extension + "\n", encoding="ascii")
    _openssl(
        "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-subj", f"/CN={name}", "-keyout", pair.key, "-out", str(request),
    )  # fmt: skip
    if start is None:
        _openssl(
            "x509", "-req", "-in", str(request), "-CA", ca.cert, "-CAkey", ca.key,
            "-days", str(days), "-extfile", str(extfile), "-out", pair.cert,
        )  # fmt: skip
        return pair
    config = _ca_config(folder / f"{name}-ca")
    end = (datetime.strptime(start, "%Y%m%d%H%M%SZ") + timedelta(days=days)).strftime(
        "%Y%m%d%H%M%SZ"
    )
    _openssl(
        "ca", "-batch", "-config", str(config), "-cert", ca.cert, "-keyfile", ca.key,
        "-in", str(request), "-out", pair.cert, "-startdate", start, "-enddate", end,
        "-extfile", str(extfile), "-notext",
    )  # fmt: skip
    return pair


def _ca_config(folder: Path) -> Path:
    """A minimal ``openssl ca`` configuration in a folder of its own (its database, serial)."""
    folder.mkdir()
    (folder / "index.txt").write_text("", encoding="ascii")
    (folder / "serial").write_text("01\n", encoding="ascii")
    config = folder / "ca.cnf"
    config.write_text(
        f"[ca]\ndefault_ca = d\n[d]\ndatabase = {folder / 'index.txt'}\n"
        f"new_certs_dir = {folder}\nserial = {folder / 'serial'}\ndefault_md = sha256\n"
        "policy = p\n[p]\ncommonName = supplied\n",
        encoding="ascii",
    )
    return config
