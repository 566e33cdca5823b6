"""Run a day's stages as a small dependency graph, two at a time.

After the decisions the day splits in two independent branches: the money path (bills, push, tax's
answers, reconciliation, fund totals) and coverage (statuses, then the report and lists). Running a
stage as soon as the stages it reads from are done keeps both cores busy, as the ingest does with
its feeds. A failing stage fails the run once the stages already under way have finished; nothing
after it starts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from yibao import memory


def run(stages: Mapping[str, Callable[[], Any]], after: Mapping[str, tuple[str, ...]], *, workers: int = 2,
        initializer: Callable[..., None] | None = None, initargs: tuple = (), apart: Collection[str] = (),
        ) -> tuple[dict[str, Any], dict[str, tuple[float, float]]]:
    """Call every stage once its ``after`` stages have returned; results, and when each stage started and
    ended (``time.perf_counter()`` seconds), by stage name.

    Whenever a worker is free, the first ready stage in the order of ``stages`` starts on it; of the
    stages ``apart`` (the largest feeds: each holds hundreds of MB while it runs) no two run at once. The
    first exception is raised when nothing is running.

    >>> order = []
    >>> stages = {name: (lambda name=name: order.append(name) or name) for name in "abc"}
    >>> results, _ = run(stages, {"a": (), "b": ("c",), "c": ("a",)}, workers=1)
    >>> order, results["b"]
    (['a', 'c', 'b'], 'b')
    """
    unknown = {d for deps in after.values() for d in deps} - set(stages)
    if unknown or set(after) != set(stages):
        raise ValueError(f"stage graph names unknown stages: {sorted(unknown or set(after) ^ set(stages))}")
    results: dict[str, Any] = {}
    spans: dict[str, tuple[float, float]] = {}
    running: dict[Future, str] = {}
    failure: BaseException | None = None

    def timed(name: str) -> tuple[Any, tuple[float, float]]:
        started = time.perf_counter()
        try:
            return stages[name](), (started, time.perf_counter())
        finally:
            memory.release()  # what the stage freed, before the next one runs on this thread

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="stage", initializer=initializer,
                            initargs=initargs) as pool:
        while True:
            if failure is None:
                for name in stages:  # no more than there are workers: a stage ready later may come first
                    if (len(running) < workers and name not in results and name not in running.values()
                            and all(d in results for d in after[name])
                            and not (name in apart and any(r in apart for r in running.values()))):
                        running[pool.submit(timed, name)] = name
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                name = running.pop(future)
                try:
                    results[name], spans[name] = future.result()
                except Exception as exc:  # noqa: BLE001 - re-raised once the running stages are done
                    failure = failure or exc
    if failure is not None:
        raise failure
    missing = [name for name in stages if name not in results]
    if missing:
        raise ValueError(f"stage graph has a cycle through: {missing}")
    return results, spans
