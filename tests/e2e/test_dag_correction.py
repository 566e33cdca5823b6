"""The DAGs' rerun for a corrected roster: after the day's chain, ``yibao_ingest`` triggered with
``feeds=[…]`` ingests only that roster, its ``correct`` task recomputes the changed people's identities,
decisions and bills (``publish`` is skipped, so ``yibao_decide`` does not redo the county), and
``yibao_tax_push`` sends just their new bill versions. Real tasks with ``dag.test()`` in a subprocess."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from python_calamine import CalamineWorkbook

from yibao import storage, synth
from yibao.synth import writers

pytestmark = pytest.mark.slow
FEED = "minzheng_zongmingdan"
RUNNER = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
assert not bag.import_errors, bag.import_errors
conf = json.loads(sys.argv[2])
states = {}
for dag_id in sys.argv[3:]:
    run = bag.get_dag(dag_id).test(run_conf=conf if dag_id.startswith("yibao_ingest") else {"as_of": conf["as_of"]})
    name = dag_id.split("__")[0]
    states[name] = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    states[name]["_run"] = str(run.state)
print("STATES=" + json.dumps(states))
"""




def _swap_categories(path: Path, rows: int, as_of) -> None:
    """Rewrite the roster workbook in place with ``rows`` 低保 rows turned into 特困人员."""
    grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    header_at = next(i for i, r in enumerate(grid) if "序号" in [str(c) for c in r])
    header = [str(c) for c in grid[header_at]]
    category = next(i for i, h in enumerate(header) if h.startswith("人员类别"))
    body = [[str(c) for c in r] for r in grid[header_at + 1 :]]
    for row in [r for r in body if "低保" in r[category] and "边缘" not in r[category]][:rows]:
        row[category] = "特困人员"
    writers.write_xlsx(path, [str(r[0]) for r in grid[:header_at]],
                       {h: [r[i] for r in body] for i, h in enumerate(header)}, as_of)


def test_a_rerun_for_a_corrected_roster_recomputes_only_its_people(airflow_env, run_dags, db_urls, tmp_path,
                                                                   auto_approve):
    home = tmp_path / "data"
    inbox = home / "inbox" / "wenxi-2024"
    summary = synth.generate("wenxi-2024", 3000, 5, inbox)
    env = airflow_env(YIBAO_HOME=str(home), YIBAO_COUNTY="wenxi-2024",
                      YIBAO_WAREHOUSE_URL=db_urls[0], YIBAO_TAX_EXCHANGE_URL=db_urls[1], **auto_approve)
    conf = {"as_of": summary.as_of.isoformat()}
    day_dags = [f"{d}__wenxi-2024" for d in ("yibao_ingest", "yibao_decide", "yibao_tax_push", "yibao_coverage")]
    day, _ = run_dags(RUNNER, [json.dumps(conf), *day_dags], env, "STATES=")
    assert day["yibao_ingest"]["correct"] == "skipped" and day["yibao_ingest"]["publish"] == "success"
    assert day["yibao_coverage"]["remember"] == "success"

    (roster,) = (inbox / "民政").glob("*总名单.xlsx")
    _swap_categories(roster, 20, summary.as_of)
    rerun, _ = run_dags(RUNNER, [json.dumps({**conf, "feeds": [FEED]}), "yibao_ingest__wenxi-2024",
                              "yibao_tax_push__wenxi-2024"], env, "STATES=")
    ingest = rerun["yibao_ingest"]
    assert (ingest["publish"], ingest["correct"], ingest["_run"]) == ("skipped", "success", "success")

    warehouse = storage.engine(db_urls[0])
    with warehouse.connect() as conn:
        versions = pd.read_sql(sa.select(storage.bill_versions.c.run_id, storage.bill_versions.c.change,
                                         storage.bill_versions.c.pushed_at), conn)
    fixed = versions[versions["run_id"] != versions["run_id"].value_counts().idxmax()]  # not the day's bills
    assert 0 < len(fixed) <= 20 and set(fixed["change"]) <= {"amended", "new", "cancelled"}
    assert fixed["pushed_at"].notna().all()  # the approval path sent exactly these to tax
