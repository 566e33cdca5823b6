"""
### 每日导入各部门报送数据 · Daily department ingest

Each department's drop in the county inbox (公安户籍/居住证, 民政, 乡村振兴, 残联, 卫健, 退役军人, 税务缴费,
医保职工/异地参保) is landed immutably (SHA-256), read in the department's own layout, gated by Great
Expectations, and staged; every unusable row is quarantined with a reason code and a Chinese message.
One mapped task per feed: a broken file fails **only its own feed**. `check_due` then checks each feed
against its due schedule: an overdue drop is a red task with a clear message. `publish` then announces the
`yibao://<county>/staging` asset, which starts `yibao_decide`.

#### Triage · 值班处理
- **A feed task is red**: open its log — the error names the file and the problem (编码、缺列、质量检查).
  Ask the department to correct and resend, then *Clear* that mapped task. Other feeds are unaffected and
  downstream DAGs keep using this feed's last good data.
- **A 前置库 feed is red** (`format: sql` in its config): the message names the connection id; add or
  fix that Airflow connection (Admin → Connections), then clear the task.
- **A `check_due` task is red**: that department's drop is overdue (its feed config's `due`, e.g. 每月 5 日
  17:00 前). The message says since when, and how old the data is that downstream keeps using. Ask the
  department for its drop; once it is in the inbox, clear `ingest` and `check_due` for that feed.
- **Superseded or refused files**: the `ingest` result (XCom) lists older drops it did not read
  (`superseded`) and files it refused (`refused`: symlinks, hidden files, paths outside the inbox).
- **Rerun for a corrected roster**: trigger with Params `feeds=["minzheng_zongmingdan"]` (only that feed).
  When the day's chain has completed and only rosters are named, `correct` recomputes just the people
  whose rows changed (identities, decisions, bills) and publishes `yibao_bills` itself; otherwise (or when
  `correct` is skipped) `publish` starts the whole chain as usual. The task log says which and why.
- **Rerun for a past day**: trigger with `as_of=YYYY-MM-DD`.
- Personal data never appears in logs or XCom: XCom carries counts only.
"""

from __future__ import annotations

from airflow.sdk import CronTriggerTimetable, Param, get_current_context, task

from yibao import dag_support as ds


@ds.per_county(
    "ingest",
    schedule=lambda county: CronTriggerTimetable("0 6 * * *", timezone=ds.TIMEZONE, run_immediately=True),
    tags=["ingest"],
    doc_md=__doc__,
    params={
        "as_of": Param(None, type=["null", "string"], format="date", description="统计日期（默认运行当天，北京时间）"),
        "feeds": Param([], type="array", items={"type": "string"}, description="只导入这些数据源（默认全部）"),
    },
)
def yibao_ingest(county: str) -> None:
    @task
    def prepare() -> list[dict]:
        """Create tables and folders if missing; list the feeds to ingest (all unless `feeds` narrows them),
        each with the label its mapped task shows (department and roster name)."""
        from yibao import pipeline
        from yibao.errors import UserError
        from yibao.sources import load_sources
        from yibao.stages import correction

        context = get_current_context()
        params = context["params"]
        settings = ds.run_settings(county)
        pipeline.init(settings)
        known = load_sources()
        wanted = params.get("feeds") or list(known)
        unknown = sorted(set(wanted) - set(known))
        if unknown:
            raise UserError(f"未知数据源 {unknown}，可选：{list(known)}")
        if params.get("feeds"):  # a rerun for named feeds: recompute only what they change, when possible
            plan = correction.begin(settings, ds.run_as_of(county, params, context["dag_run"].run_after), wanted,
                                    context["run_id"])
            print(f"运行方式：{'更正（仅重算变动人员）' if plan.mode == 'correction' else '完整'}；{plan.reason}")
        return [{"feed": f, "label": f"{s.department}·{s.title}"} for f, s in known.items() if f in wanted]

    @task(map_index_template="{{ label }}")
    def ingest(feed: str, label: str) -> dict:
        """Land, read, gate and stage one feed; a malformed drop fails here without retrying."""
        from airflow.sdk.exceptions import AirflowFailException

        from yibao import pipeline
        from yibao.readers import FeedError

        context = get_current_context()
        context["label"] = label
        try:
            return pipeline.ingest_feed(
                ds.run_settings(county), feed,
                as_of=ds.run_as_of(county, context["params"], context["dag_run"].run_after), run_id=context["run_id"],
                db_url=ds.connection_uri(feed),
            )
        except FeedError as exc:
            raise AirflowFailException(str(exc)) from None

    @task(map_index_template="{{ label }}", trigger_rule="all_done")
    def check_due(feed: str, label: str) -> dict:
        """Fail loudly when a feed's drop is overdue: downstream is then running on an older snapshot."""
        from airflow.sdk.exceptions import AirflowFailException

        from yibao import pipeline

        get_current_context()["label"] = label
        state = pipeline.feed_freshness(ds.run_settings(county), feed)
        if state["state"] in ("late", "missing"):
            raise AirflowFailException(state["message"])
        return state

    @task(outlets=[ds.asset(county, ds.STAGING)], trigger_rule="all_done")
    def publish() -> dict:
        """Announce fresh staging even if some feeds failed: they keep their last good data."""
        from airflow.sdk.exceptions import AirflowSkipException

        from yibao.stages import correction

        settings = ds.run_settings(county)
        if correction.planned(settings, get_current_context()["run_id"]):
            raise AirflowSkipException("更正运行：由 correct 任务只重算变动人员")
        feeds = len(list((settings.staging / "feeds").glob("*.arrow")))
        ds.announce(county, ds.STAGING, {"feeds_published": feeds})
        return {"county": county, "feeds_published": feeds}

    @task(outlets=[ds.asset(county, ds.BILLS)], trigger_rule="all_done")
    def correct() -> dict:
        """A rerun for corrected rosters: identities, decisions and bills of the changed people only."""
        from airflow.sdk.exceptions import AirflowSkipException

        from yibao.stages import correction

        settings, as_of, run_id = ds.task_args(county)
        if not correction.planned(settings, run_id):
            raise AirflowSkipException("完整运行：由 publish 启动 yibao_decide")
        return correction.apply(settings, as_of=as_of, run_id=run_id)

    feeds = prepare()
    ingested = ingest.expand_kwargs(feeds)
    ingested >> publish()
    ingested >> correct()
    ingested >> check_due.expand_kwargs(feeds)
