"""
### 参保进度 · Coverage by town

Runs whenever `yibao_decide` publishes `yibao_bills` (next to `yibao_tax_push`, so a batch waiting for
approval never holds coverage back), or by hand. Should-insure people
(户籍 and valid 居住证, alive, not moved out, not in 职工医保 or insured elsewhere) against the tax side's
payment records for the campaign year, per town and against each town's task target (闻喜 附件1).
Replaces the `coverage_by_town` table and publishes `yibao_coverage`.
`reconcile_payments` then matches the payment records to the bills: unpaid personal parts, payments that
differ from the bill, duplicate payments, full payments despite a subsidy (refund cases) and bills without
any payment after `YIBAO_OVERDUE_DAYS` (default 30) days become `work_items` with a Chinese reason.

#### Triage · 值班处理
- **Paid counts look stale**: check that today's 税务缴费记录 feed was ingested (`yibao_ingest`).
- **A town is missing**: its name in 公安户籍 differs from the rules file's town list; it appears at the
  end of the table under its own name.
"""

from __future__ import annotations

from airflow.sdk import Asset, Param, dag, get_current_context, task

from yibao import dag_support as ds


@dag(
    dag_id="yibao_coverage",
    schedule=[Asset(ds.BILLS)],
    start_date=ds.START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=ds.DEFAULT_ARGS,
    tags=[*ds.TAGS, "coverage"],
    doc_md=__doc__,
    params={
        "county": Param(None, type=["null", "string"], description="规则编号（默认 YIBAO_COUNTY）"),
        "as_of": Param(None, type=["null", "string"], format="date", description="统计日期（默认运行当天）"),
    },
)
def yibao_coverage():
    @task(outlets=[Asset(ds.COVERAGE)])
    def compute_coverage() -> dict:
        from yibao import pipeline

        context = get_current_context()
        params = context["params"]
        return pipeline.compute_coverage(
            ds.run_settings(params), as_of=ds.run_as_of(params, context["dag_run"].run_after),
            run_id=context["run_id"],
        )

    @task
    def reconcile_payments() -> dict:
        from yibao import pipeline

        context = get_current_context()
        params = context["params"]
        return pipeline.reconcile_payments(
            ds.run_settings(params), as_of=ds.run_as_of(params, context["dag_run"].run_after),
            run_id=context["run_id"],
        )

    compute_coverage() >> reconcile_payments()


yibao_coverage()
