"""
### 审批并推送特殊缴费单据到税务 · Approve, then push assisted-payment bills to the tax exchange

Runs when `yibao_decide` publishes `yibao://<county>/bills`, or by hand.
1. `prepare_batch` — everything not yet sent to tax becomes one batch (new / amended / cancelled). Nothing
   pending: no batch, nobody is asked. Small batches are auto-approved when `YIBAO_AUTO_APPROVE_MAX_BILLS`
   and `YIBAO_AUTO_APPROVE_MAX_YUAN` allow it (recorded as 自动批准).
2. `approve` — Airflow's human-in-the-loop approval: open **Required Actions** (or this task) to see the
   counts, totals by fund and by town and the largest changes (masked IDs), then Approve or Reject.
   A rejected batch is held, not lost: the next run offers it again with what changed since.
3. `push` — sends exactly the approved versions, exactly once (see `yibao.tax_exchange` for the contract:
   the latest version of each bill, `prev_version` naming what it supersedes). Publishes `yibao://<county>/tax_exchange`.
4. `read_tax_answers` (independent of 1–3) — tax's acknowledgements from the exchange (`tsjf_acks`): bills
   tax rejected become work items (`work_items`, kind `tax_rejected`) with the reason in Chinese.

#### Triage · 值班处理
- **`push` fails with 税务前置库无法连接: host/port/db**: the tax side's database is down; nothing was marked as
  sent. Clear the task once it is back (or let the next run catch up, in version order).
- **`push` refuses: 没有与之一致的已审批批次**: bills changed after approval; trigger the DAG again to review
  the new batch.
- **Any task says 正由另一运行处理中**: another run (scheduled, manual, or `yibao pipeline run`) holds the
  county lock; it waits up to `YIBAO_LOCK_WAIT_SECONDS`, then the retry tries again.
- **Want to see what would be sent**: trigger with `dry_run=true`; `push` returns the pending count only.
"""

from __future__ import annotations

from airflow.sdk import Param, get_current_context, task

from yibao import dag_support as ds
from yibao.approval_task import BatchApprovalOperator


@ds.per_county(
    "tax_push",
    schedule=lambda county: [ds.asset(county, ds.BILLS)],
    tags=["tax"],
    doc_md=__doc__,
    params={"dry_run": Param(False, type="boolean", description="只统计待推送数量，不实际推送")},
)
def yibao_tax_push(county: str) -> None:
    @task
    def prepare_batch() -> dict:
        from yibao import money_path

        settings, _, run_id = ds.task_args(county)
        return money_path.prepare_batch(settings, run_id=run_id)

    approve = BatchApprovalOperator(task_id="approve", prepare_task_id="prepare_batch", county=county)

    @task(outlets=[ds.asset(county, ds.TAX_EXCHANGE)])
    def push() -> dict:
        from yibao import money_path

        params = get_current_context()["params"]
        result = money_path.push_to_tax(ds.run_settings(county), dry_run=bool(params.get("dry_run")))
        ds.announce(county, ds.TAX_EXCHANGE, result)
        return result

    @task
    def read_tax_answers() -> dict:
        from yibao import money_path

        settings, _, run_id = ds.task_args(county)
        return money_path.read_tax_answers(settings, run_id=run_id)

    prepare_batch() >> approve >> push()
    read_tax_answers()
