"""Stage threads hand freed memory back and share two glibc arenas (yibao.memory), in fresh processes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

ARENAS = """
import ctypes, sys, tempfile, threading
if sys.argv[1] == "yibao":
    import yibao  # noqa: F401
barrier = threading.Barrier(8)

def allocate():
    held = bytearray(300_000)  # above pymalloc's size: from the thread's glibc arena
    barrier.wait()

threads = [threading.Thread(target=allocate) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
libc = ctypes.CDLL(None)
libc.fopen.restype = ctypes.c_void_p
with tempfile.NamedTemporaryFile(suffix=".xml") as out:
    stream = ctypes.c_void_p(libc.fopen(out.name.encode(), b"w"))
    libc.malloc_info(0, stream)
    libc.fclose(stream)
    print(open(out.name).read().count("<heap nr="))
"""


def _python(code: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("MIMALLOC_PURGE_DELAY", "MALLOC_ARENA_MAX")}
    return subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=True,
                          timeout=60)


RELEASE = """
import resource, sys, threading
import numpy as np
import pyarrow as pa
from yibao import memory

def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize()

kept = []

def stage(release):
    before = rss()
    held = [pa.allocate_buffer(64 * 1024) for _ in range(4096)]  # 256 MB in pieces the thread's heap keeps
    for buffer in held:
        np.frombuffer(buffer, dtype=np.uint8)[:] = 1
    del held, buffer
    if release:
        memory.release()
    kept.append(rss() - before)

thread = threading.Thread(target=stage, args=(sys.argv[1] == "release",))
thread.start()
thread.join()
print(kept[0] >> 20)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="resident size from /proc")
def test_a_stage_thread_hands_back_what_it_freed():
    assert int(_python(RELEASE, "keep").stdout) > 128  # without release the thread's heap keeps it
    assert int(_python(RELEASE, "release").stdout) < 32


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's arenas")
def test_threads_share_two_glibc_arenas_once_yibao_is_imported():
    assert int(_python(ARENAS, "plain").stdout) > 2  # the check can see more arenas
    assert int(_python(ARENAS, "yibao").stdout) == 2
