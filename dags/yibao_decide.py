"""
### 身份认定与资助单据 · Identities, subsidy decisions and bills

Runs whenever `yibao_ingest` publishes fresh staging (asset `yibao://<county>/staging`), or by hand.
1. `resolve_identities` — one row per person from 公安户籍 and 居住证; each department's statuses are
   checked against the register (查无此人、已死亡、已迁出、姓名不符 go back to the department).
2. `decide_subsidies` — the county's rules file (`include/rules/<county>.yaml`) picks one identity per
   person and the amount per fund; the audit refuses output whose funds do not add up to the subsidy.
   `write_feedback` — one workbook per department in the dated outbox (`outbox/<county>/<date>/部门反馈/`):
   its rejected rows (staging and this cross-check) in its own layout with 问题代码/问题说明/建议身份证号码.
3. `make_bills` — deterministic bill numbers; only changed bills get a new version (rerunning the same
   inputs changes nothing). Publishes `yibao://<county>/bills`, which starts `yibao_tax_push`.

#### Triage · 值班处理
- **`decide_subsidies` fails on a rules error**: the message names the rules file and field; fix the YAML
  (`yibao policy check FILE`) and clear the task.
- **A department asks for its feedback again**: clear `write_feedback`; the day's 部门反馈 folder is replaced whole.
- **Unexpectedly many amended/cancelled bills**: a department probably sent a partial roster; check
  `yibao_ingest`'s counts for the day before approving the push.
"""

from __future__ import annotations

from airflow.sdk import Param, task

from yibao import dag_support as ds


@ds.per_county(
    "decide",
    schedule=lambda county: [ds.asset(county, ds.STAGING)],
    tags=["policy", "bills"],
    doc_md=__doc__,
    params={"as_of": Param(None, type=["null", "string"], format="date", description="认定日期（默认运行当天）")},
)
def yibao_decide(county: str) -> None:
    @task
    def resolve_identities() -> dict:
        from yibao import pipeline

        settings, as_of, run_id = ds.task_args(county)
        return pipeline.resolve_identities(settings, as_of=as_of, run_id=run_id)

    @task
    def decide_subsidies() -> dict:
        from yibao import pipeline

        settings, as_of, run_id = ds.task_args(county)
        return pipeline.decide_subsidies(settings, as_of=as_of, run_id=run_id)

    @task(outlets=[ds.asset(county, ds.BILLS)])
    def make_bills() -> dict:
        from yibao import pipeline

        settings, _, run_id = ds.task_args(county)
        counts = pipeline.make_bills(settings, run_id=run_id)
        ds.announce(county, ds.BILLS, counts)  # new / amended / cancelled / unchanged, and the total
        return counts

    @task
    def write_feedback() -> dict:
        from yibao import pipeline

        settings, as_of, _ = ds.task_args(county)
        return pipeline.write_feedback(settings, as_of=as_of)

    identities = resolve_identities()
    identities >> decide_subsidies() >> make_bills()
    identities >> write_feedback()
