"""Give memory a stage has freed back to the system when the stage ends, so a day's peak is what it holds.

Stages run two at a time and each frees hundreds of megabytes when it ends. Both allocators kept that
memory for later instead of returning it, and on a 1M-person county the retention, not live data, was
about 0.4 GB of the chain's peak (``bench/bench_pipeline.py``):

- Arrow's allocator (mimalloc) keeps freed pages in the heap of the thread that freed them; a stage
  thread that waits for its next stage keeps them all. :func:`release` collects them when a stage ends.
- glibc gives each new thread its own arena (up to 8 per core) and trims an arena only from its top;
  :func:`share_arenas` caps them at two, and :func:`release` trims them all.

Memory is returned once per stage, not on every free: on these machines a page costs a fault when it is
touched again, and returning it at once (``MIMALLOC_PURGE_DELAY=0``) made the chain slower.
"""

from __future__ import annotations

import ctypes
import os

M_ARENA_MAX = -8  # mallopt parameter number, from glibc's malloc.h
ARENAS = 2


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None)  # the C library the interpreter runs on


def share_arenas() -> None:
    """Cap glibc's arenas for threads started from now on; ``MALLOC_ARENA_MAX`` set by the user is kept."""
    libc = _libc()
    if "MALLOC_ARENA_MAX" not in os.environ and hasattr(libc, "mallopt"):  # glibc; not on macOS
        libc.mallopt(M_ARENA_MAX, ARENAS)


def release() -> None:
    """Hand back what the allocators hold free: this thread's Arrow heap, then every glibc arena."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    libc = _libc()
    if hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)
