"""The Airflow approval task for a bill batch: Airflow 3's human-in-the-loop ``ApprovalOperator``, shown
the batch that the upstream task prepared and recording the reviewer's answer in the warehouse.

Imported by DAG files at parse time, so it stays light: the package's stages are imported in the methods.
When nothing is pending, or the batch was already decided (auto-approval), no one is asked.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.standard.operators.hitl import ApprovalOperator

from yibao import dag_support as ds


class BatchApprovalOperator(ApprovalOperator):
    """Approve or reject the batch from ``prepare_task_id``'s XCom (which carries its id and counts only)."""

    def __init__(self, *, prepare_task_id: str, county: str, **kwargs: Any) -> None:
        super().__init__(subject="审批特殊缴费单据批次 (approve bills for tax)", **kwargs)
        self.prepare_task_id = prepare_task_id
        self.county = county

    def _batch(self, context: Any) -> dict:
        return context["ti"].xcom_pull(task_ids=self.prepare_task_id) or {}

    def execute(self, context: Any) -> Any:
        batch = self._batch(context)
        if batch.get("status") != "pending":
            self.log.info("无需人工审批 (no review needed): %s %s", batch.get("status"), batch.get("decided_by") or "")
            return {"chosen_options": [], "batch_status": batch.get("status")}
        from yibao import money_path

        settings = ds.run_settings(self.county)
        self.subject, self.body = money_path.review(settings, batch["batch_id"])
        return super().execute(context)

    def execute_complete(self, context: Any, event: dict[str, Any]) -> Any:
        from yibao import money_path

        batch = self._batch(context)
        approve = "error" not in event and event.get("chosen_options") == [self.APPROVE]
        user = event.get("responded_by_user") or {}
        who = user.get("name") or user.get("id") or "?"
        status = money_path.decide_batch(ds.run_settings(self.county), batch["batch_id"], approve=approve,
                                         by=f"{who}（Airflow 审批）")
        self.log.info("批次 %s：%s", batch["batch_id"], status)
        return super().execute_complete(context, event)
