"""yibao sets both allocators to return freed memory, in a fresh process as the CLI and the DAG tasks start."""

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


def _python(code: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("MIMALLOC_PURGE_DELAY", "MALLOC_ARENA_MAX")}
    return subprocess.run([sys.executable, "-c", code, *args], env={**clean, **(env or {})}, capture_output=True,
                          text=True, check=True, timeout=60)


@pytest.mark.parametrize(("env", "delay"), [({}, 0), ({"MIMALLOC_PURGE_DELAY": "25"}, 25)], ids=["set", "kept"])
def test_arrows_allocator_purges_freed_pages_at_once_unless_told_otherwise(env, delay):
    run = _python("import yibao, pyarrow as pa; print(pa.default_memory_pool().backend_name); pa.allocate_buffer(1)",
                  env={"MIMALLOC_VERBOSE": "1", **env})
    assert run.stdout.split() == ["mimalloc"]
    assert f"option 'purge_delay': {delay}" in run.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's arenas")
def test_threads_share_two_glibc_arenas_once_yibao_is_imported():
    assert int(_python(ARENAS, "plain").stdout) > 2  # the check can see more arenas
    assert int(_python(ARENAS, "yibao").stdout) == 2
