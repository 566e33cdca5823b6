"""Let a process give memory it has freed back to the system, so a day's peak is what it holds.

Stages run two at a time and each frees hundreds of megabytes when it ends. Two allocators kept that
memory for later instead of returning it, and on a 1M-person county the retention, not live data, was
about 0.4 GB of the chain's peak (``bench/bench_pipeline.py``, same speed either way):

- Arrow's allocator (mimalloc) purges freed pages only after a delay, and only when the thread that
  freed them allocates again; ``MIMALLOC_PURGE_DELAY=0`` purges at once. mimalloc reads its options
  from the environment when Arrow is loaded, so this must run before ``pyarrow`` is imported.
- glibc gives each new thread its own arena (up to 8 per core) and trims an arena only from its top;
  two arenas keep the stage and writer threads' freed memory where it is reused.

A value the environment already sets (``MIMALLOC_PURGE_DELAY``, ``MALLOC_ARENA_MAX``) is kept.
"""

from __future__ import annotations

import ctypes
import os

M_ARENA_MAX = -8  # mallopt parameter number, from glibc's malloc.h
ARENAS = 2


def return_freed_memory() -> None:
    """Set both allocators to give freed memory back; harmless where either is absent."""
    os.environ.setdefault("MIMALLOC_PURGE_DELAY", "0")
    if "MALLOC_ARENA_MAX" in os.environ:
        return  # glibc read it at start-up
    libc = ctypes.CDLL(None)  # the C library the interpreter runs on
    if hasattr(libc, "mallopt"):  # glibc (and musl's no-op); not on macOS
        libc.mallopt(M_ARENA_MAX, ARENAS)
