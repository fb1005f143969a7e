"""Read buffers (:mod:`apislo.sources.buffers`)."""

from __future__ import annotations

import mmap
import os
import subprocess
import sys
from pathlib import Path

from apislo.sources.buffers import new_buffer
from tests.conftest import ROOT

#: Made in a process of its own (``argv[1]`` bytes), as ingest makes its first buffers: in a
#: process that has freed much, glibc may serve the buffer from memory already touched, in
#: pages of 4 KiB for good. Prints how many KiB of it lie in whole 2 MiB pages, then how many
#: KiB of the mappings over it are in huge pages (``AnonHugePages``; ``madvise`` splits a
#: mapping where its advice starts and ends).
SCRIPT = """
import ctypes, sys
from apislo.sources.buffers import HUGE_PAGE, new_buffer

size = int(sys.argv[1])
data = new_buffer(size)
data[:] = b"x" * size  # (each page is made on its first write)
view = (ctypes.c_char * size).from_buffer(data)
first = ctypes.addressof(view)
del view
end = first + size
whole = (end // HUGE_PAGE - -(-first // HUGE_PAGE)) * (HUGE_PAGE >> 10)
huge, inside = 0, False
for line in open("/proc/self/smaps").read().splitlines():
    key = line.split(maxsplit=1)[0]
    if "-" in key and ":" not in key:  # a mapping's header: "start-end perms ..."
        start, stop = (int(bound, 16) for bound in key.split("-"))
        inside = start < end and first < stop
    elif inside and key == "AnonHugePages:":
        huge += int(line.split()[1])
print(whole, huge)
"""


def test_a_buffer_is_read_into_in_huge_pages_where_the_system_lends_them() -> None:
    """A fresh 32 MiB buffer took 36-49 ms to zero and fill in 4 KiB pages on the project's VM
    (8,193 page faults), 20-28 ms in 2 MiB pages. Expected: a fresh buffer of 40 MiB (more than
    glibc's largest heap allocation, 32 MiB: memory of its own) whose 19 or 20 whole 2 MiB
    pages, once written, are huge pages where Linux lends them on request (its
    ``transparent_hugepage`` mode not ``never``)."""
    size = 40 << 20
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(size)], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    whole, huge = (int(value) for value in done.stdout.split())
    assert whole in (38 << 10, 40 << 10)
    mode = Path("/sys/kernel/mm/transparent_hugepage/enabled")
    lent = mode.exists() and "[never]" not in mode.read_text()
    assert huge == (whole if lent and getattr(mmap, "MADV_HUGEPAGE", None) else 0)


def test_a_buffer_can_be_resized_once_made() -> None:
    """No view of it is left alive (one would make resizing raise BufferError): chunks are cut
    to their last line end, and buffers made the size of a chunk again."""
    size = 5 << 20
    data = new_buffer(size)
    assert (type(data), len(data)) == (bytearray, size)
    data[:] = b"x" * size
    del data[size // 2 :]
    data.extend(b"y" * 3)
    assert (len(data), bytes(data[-4:])) == (size // 2 + 3, b"xyyy")
