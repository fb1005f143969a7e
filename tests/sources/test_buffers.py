"""Read buffers (:mod:`apislo.sources.buffers`)."""

from __future__ import annotations

import ctypes
import mmap
from pathlib import Path

from apislo.sources.buffers import HUGE_PAGE, new_buffer


def _huge_pages_kib(first: int, end: int) -> int:
    """``AnonHugePages`` (KiB) of the mappings of this process over bytes ``[first, end)``
    (``madvise`` splits a mapping where its advice starts and ends)."""
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        key = line.split(maxsplit=1)[0]
        if "-" in key and ":" not in key:  # a mapping's header: "start-end perms ..."
            start, stop = (int(bound, 16) for bound in key.split("-"))
            inside = start < end and first < stop
        elif inside and key == "AnonHugePages:":
            total += int(line.split()[1])
    return total


def test_a_buffer_is_read_into_in_huge_pages_where_the_system_lends_them() -> None:
    """A fresh 32 MiB buffer took 36-49 ms to zero and fill in 4 KiB pages on the project's VM
    (8,193 page faults), 20-28 ms in 2 MiB pages. Expected: a buffer of 40 MiB (more than
    glibc's largest heap allocation, 32 MiB: memory of its own, as a chunk's buffer gets), still
    resizable (no view of it left alive), whose whole 2 MiB pages, once written, are huge pages
    where Linux lends them on request (its ``transparent_hugepage`` mode not ``never``)."""
    size = 40 << 20
    data = new_buffer(size)
    assert (type(data), len(data)) == (bytearray, size)
    data[:] = b"x" * size  # (each page is made on its first write)
    view = (ctypes.c_char * size).from_buffer(data)
    address = ctypes.addressof(view)
    del view
    mode = Path("/sys/kernel/mm/transparent_hugepage/enabled")
    lent = mode.exists() and "[never]" not in mode.read_text()
    whole = ((address + size) // HUGE_PAGE - -(-address // HUGE_PAGE)) * (HUGE_PAGE >> 10)
    assert whole in (38 << 10, 40 << 10)  # (19 or 20 whole pages of 2 MiB)
    if lent and getattr(mmap, "MADV_HUGEPAGE", None) is not None:
        assert _huge_pages_kib(address, address + size) == whole
    del data[size // 2 :]
    data.extend(b"y" * 3)
    assert (len(data), bytes(data[-4:])) == (size // 2 + 3, b"xyyy")
