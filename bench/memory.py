"""Peak resident memory of this process during a block, sampled from /proc (numpy and Arrow included)."""

from __future__ import annotations

import resource
import threading
import time
from contextlib import contextmanager


def rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize()


@contextmanager
def peak_rss(interval: float = 0.005):
    """Yields a dict whose ``peak`` (bytes) and ``seconds`` are filled in when the block ends."""
    out = {"peak": rss_bytes(), "seconds": 0.0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            out["peak"] = max(out["peak"], rss_bytes())
            time.sleep(interval)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    started = time.perf_counter()
    try:
        yield out
    finally:
        out["seconds"] = time.perf_counter() - started
        stop.set()
        thread.join()
        out["peak"] = max(out["peak"], rss_bytes())
