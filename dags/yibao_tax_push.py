"""
### 推送特殊缴费单据到税务 · Push assisted-payment bills to the tax exchange

Runs when `yibao_decide` publishes `yibao_bills`, or by hand. Sends only bill versions the tax side does
not have yet (new, amended, cancelled), exactly once: a version already in the exchange table is never
sent again, so a retry after a crash is safe. Publishes `yibao_tax_exchange`.

#### Triage · 值班处理
- **Want to see what would be sent**: trigger with `dry_run=true`; the task returns the pending count only.
- **Exchange database unreachable**: the task retries; nothing is marked as pushed until the exchange
  has committed the rows.
"""

from __future__ import annotations

from airflow.sdk import Asset, Param, dag, get_current_context, task

from yibao import dag_support as ds


@dag(
    dag_id="yibao_tax_push",
    schedule=[Asset(ds.BILLS)],
    start_date=ds.START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=ds.DEFAULT_ARGS,
    tags=[*ds.TAGS, "tax"],
    doc_md=__doc__,
    params={
        "county": Param(None, type=["null", "string"], description="规则编号（默认 YIBAO_COUNTY）"),
        "dry_run": Param(False, type="boolean", description="只统计待推送数量，不实际推送"),
    },
)
def yibao_tax_push():
    @task(outlets=[Asset(ds.TAX_EXCHANGE)])
    def push() -> dict:
        from yibao import pipeline

        params = get_current_context()["params"]
        return pipeline.push_to_tax(ds.run_settings(params), dry_run=bool(params.get("dry_run")))

    push()


yibao_tax_push()
