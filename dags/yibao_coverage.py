"""
### 参保进度、名单与日报 · Coverage, lists and the daily report

Runs whenever `yibao_decide` publishes `yibao://<county>/bills` (next to `yibao_tax_push`, so a batch waiting for
approval never holds coverage back), or by hand.
1. `compute_coverage` — every person's status for the campaign year as of the run date (按期缴费、逾期缴费、
   资助对象个人部分已缴/未缴、未缴费、不计入：死亡/迁出/职工医保/异地参保), the gaps by town, village and household,
   assisted groups apart (target 100%), refund candidates and late payers' benefit start dates. Keeps one
   snapshot of the aggregates per run date (`coverage_daily`, `status_daily`) for the trend. Publishes
   `yibao://<county>/coverage`; the asset event's extra carries the headline figures.
2. `write_outputs` — the day's outbox `$YIBAO_HOME/outbox/<county>/<as_of>/`: 参保缴费日报 (XLSX + HTML with
   charts), 催缴名单 (one workbook per town, only its people), 公示名单 (one masked workbook per village),
   退费候选名单 and 逾期缴费名单. Rerunning a day replaces that day's outputs. Publishes `yibao://<county>/reports`.
3. `reconcile_payments` — matches the payment records to the bills: unpaid personal parts, payments that
   differ from the bill, duplicate payments, full payments despite a subsidy (refund cases) and bills
   without any payment after `YIBAO_OVERDUE_DAYS` (default 30) days become `work_items` with a Chinese reason.
4. `write_fund_totals` (independent) — 资金拨付申请.xlsx in the day's outbox for finance: totals per fund /
   budget level, per town, and per clause, reconciled to the bills to the fen (refused otherwise).
5. `remember` — records the completed day (published tables, drop hashes) so that a rerun of `yibao_ingest`
   for corrected rosters can recompute only the people they change.

#### Triage · 值班处理
- **Paid counts look stale**: check that today's 税务缴费记录 feed was ingested (`yibao_ingest`).
- **A town is missing or shows no target**: its name in 公安户籍 differs from the rules file's town list;
  it appears at the end of the tables under its own name.
- **A past day's figures must be corrected**: trigger with `as_of=YYYY-MM-DD`; only that day's snapshot and
  outbox folder are replaced, the other days stay as they were.
- **A town says its list holds someone who paid**: the payment reached the tax side after the run; the next
  daily run removes them. Lists never hold other towns' people.
"""

from __future__ import annotations

from airflow.sdk import Param, task

from yibao import dag_support as ds


@ds.per_county(
    "coverage",
    schedule=lambda county: [ds.asset(county, ds.BILLS)],
    tags=["coverage", "reports"],
    doc_md=__doc__,
    params={"as_of": Param(None, type=["null", "string"], format="date", description="统计日期（默认运行当天）")},
)
def yibao_coverage(county: str) -> None:
    @task(outlets=[ds.asset(county, ds.COVERAGE)])
    def compute_coverage() -> dict:
        """Statuses, gaps and today's snapshot; the asset event carries the headline figures."""
        from yibao import pipeline

        settings, as_of, run_id = ds.task_args(county)
        result = pipeline.compute_coverage(settings, as_of=as_of, run_id=run_id)
        ds.announce(county, ds.COVERAGE, ds.headline(as_of, result))
        return result

    @task(outlets=[ds.asset(county, ds.REPORTS)])
    def write_outputs() -> dict:
        """The day's report and lists in the outbox; XCom and the asset event carry paths and counts only."""
        from yibao import pipeline

        settings, as_of, run_id = ds.task_args(county)
        result = pipeline.write_outputs(settings, as_of=as_of, run_id=run_id)
        ds.announce(county, ds.REPORTS, {"as_of": as_of.isoformat(), **{
            k: result[k] for k in ("outbox", "reminder_files", "notice_files")}})
        return result

    @task
    def reconcile_payments() -> dict:
        from yibao import pipeline

        settings, as_of, run_id = ds.task_args(county)
        return pipeline.reconcile_payments(settings, as_of=as_of, run_id=run_id)

    @task
    def write_fund_totals() -> dict:
        from yibao import money_path

        settings, as_of, run_id = ds.task_args(county)
        return money_path.write_fund_totals(settings, as_of=as_of, run_id=run_id)  # a path and totals per fund

    @task
    def remember() -> None:
        """The day's chain is complete: a later rerun for corrected rosters may build on it."""
        from yibao.stages import correction

        settings, as_of, _ = ds.task_args(county)
        correction.remember(settings, as_of)

    coverage = compute_coverage()
    [coverage >> write_outputs(), coverage >> reconcile_payments(), write_fund_totals()] >> remember()
