"""The stage graph runs independent stages at the same time, never starts a stage before what it waits
for, and on a failure lets the running stages finish but starts nothing more."""

from __future__ import annotations

import threading
import time

import pytest

from yibao import stage_graph


def test_independent_stages_run_side_by_side_and_dependents_wait():
    both = threading.Barrier(2, timeout=10)  # passes only if money and coverage run at the same time
    seen = []

    def branch(name):
        def run():
            both.wait()
            seen.append(name)
            return name
        return run

    stages = {"decide": lambda: seen.append("decide"), "money": branch("money"), "coverage": branch("coverage"),
              "report": lambda: sorted(seen)}
    after = {"decide": (), "money": ("decide",), "coverage": ("decide",), "report": ("coverage", "money")}
    results, spans = stage_graph.run(stages, after)
    assert results["report"] == ["coverage", "decide", "money"]
    assert spans["report"][0] >= max(spans["money"][1], spans["coverage"][1])
    assert spans["money"][0] >= spans["decide"][1]


def test_a_failure_lets_the_running_stage_finish_and_starts_nothing_after_it():
    finished, started = [], []

    def slow():
        time.sleep(0.3)
        finished.append("slow")

    def broken():
        raise RuntimeError("资助金额与各资金来源合计不一致")

    stages = {"broken": broken, "slow": slow, "later": lambda: started.append("later")}
    with pytest.raises(RuntimeError, match="资助金额"):
        stage_graph.run(stages, {"broken": (), "slow": (), "later": ("broken",)})
    assert finished == ["slow"] and started == []


@pytest.mark.parametrize("after", [{"a": ("b",), "b": ("a",)}, {"a": ("x",), "b": ()}, {"a": ()}])
def test_a_graph_with_a_cycle_or_unknown_stages_is_refused(after):
    with pytest.raises(ValueError):
        stage_graph.run({"a": lambda: 1, "b": lambda: 2}, after)


def test_a_free_worker_takes_the_first_ready_stage_even_one_ready_later():
    stages = {"first": lambda: time.sleep(0.3), "quick": lambda: time.sleep(0.05), "urgent": lambda: None,
              "filler": lambda: time.sleep(0.05)}
    after = {"first": (), "quick": (), "urgent": ("quick",), "filler": ()}
    _, spans = stage_graph.run(stages, after, workers=2)
    # filler was ready from the start, but the free worker went to urgent, listed before it
    assert spans["urgent"][0] < spans["filler"][0] < spans["first"][1]


def test_stages_kept_apart_never_overlap_and_the_other_worker_goes_on():
    stages = {"huge": lambda: time.sleep(0.3), "large": lambda: time.sleep(0.1), "small": lambda: time.sleep(0.05),
              "tiny": lambda: None}
    _, spans = stage_graph.run(stages, dict.fromkeys(stages, ()), workers=2, apart={"huge", "large"})
    assert spans["large"][0] >= spans["huge"][1]  # waited for the other large one, though a worker was free
    assert spans["small"][0] < spans["huge"][1] and spans["tiny"][0] < spans["huge"][1]  # the free one went on
