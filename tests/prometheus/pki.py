"""Throwaway certificates for TLS tests, made by the ``openssl`` command (the ``cryptography``
package is not installed): a CA, and certificates it signs for a server or a client, valid or
already expired. Keys are unencrypted P-256 keys; everything is written under the folder given.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
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


def issue(folder: Path, name: str, ca: Pair, extension: str, days: int = 2) -> Pair:
    """A certificate (``CN=name``) signed by ``ca`` with one X.509v3 ``extension``
    (``subjectAltName=IP:127.0.0.1`` for a server, ``extendedKeyUsage=clientAuth`` for a
    client), valid from now for ``days`` days (``-1``: a validity that ended a day ago, which
    OpenSSL and Go call expired)."""
    pair = _paths(folder, name)
    request, extfile = folder / f"{name}.csr", folder / f"{name}.ext"
    extfile.write_text(extension + "\n", encoding="ascii")
    _openssl(
        "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-subj", f"/CN={name}", "-keyout", pair.key, "-out", str(request),
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", str(request), "-CA", ca.cert, "-CAkey", ca.key,
        "-days", str(days), "-extfile", str(extfile), "-out", pair.cert,
    )  # fmt: skip
    return pair
