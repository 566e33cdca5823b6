"""Publishing a stage table: audited, written aside, then swapped in; the replaced file is freed later."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from yibao import storage


def _flush_retired() -> None:
    storage._RETIRED.submit(lambda: None).result()  # the one retiring thread has done what was queued


def test_a_republished_table_replaces_the_old_and_leaves_nothing_behind(tmp_path):
    path = tmp_path / "decisions.arrow"
    storage.publish_frame(pd.DataFrame({"key": [1, 2], "fen": [10, 20]}), path)
    reader = storage.read_staged_table(path)  # a stage still reading yesterday's table (memory-mapped)
    storage.publish_frame(pa.table({"key": [3], "fen": [30]}), path)
    assert storage.read_staged(path).to_dict("list") == {"key": [3], "fen": [30]}
    assert reader.to_pydict() == {"key": [1, 2], "fen": [10, 20]}, "a reader keeps the table it opened"
    _flush_retired()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["decisions.arrow"]


def test_a_failed_audit_publishes_nothing(tmp_path):
    path = tmp_path / "decisions.arrow"
    storage.publish_frame(pd.DataFrame({"key": [1]}), path)

    def audit(frame):
        raise RuntimeError("资助金额与各资金来源合计不一致")

    with pytest.raises(RuntimeError, match="不一致"):
        storage.publish_frame(pd.DataFrame({"key": [2]}), path, audit=audit)
    _flush_retired()
    assert storage.read_staged(path)["key"].tolist() == [1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["decisions.arrow"]
