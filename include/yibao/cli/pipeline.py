"""``yibao pipeline run`` runs every stage in one process; ``yibao pipeline explain`` says why someone holds a
status on a day; ``yibao db init`` prepares the databases."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from yibao.cli.args import date_arg
from yibao.errors import UserError
from yibao.settings import Settings


def _run(args: argparse.Namespace) -> int:
    from yibao import pipeline

    settings = Settings.from_env(args.county)
    if args.inbox:
        if not Path(args.inbox).is_dir():
            raise UserError(f"收件目录不存在：{args.inbox}")
        settings = dataclasses.replace(settings, inbox=Path(args.inbox).resolve())
    summary = pipeline.run(settings, as_of=args.as_of, full=args.full, feeds=args.feeds)
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    # 3: the day ran but nothing reached the tax exchange; 1: a department feed failed.
    if summary["tax_push"].get("error"):
        return 3
    failed = [f for f, r in summary["feeds"].items() if r["status"] == "failed"]
    return 1 if failed else 0


def _explain(args: argparse.Namespace) -> int:
    from yibao import pipeline
    from yibao.masking import mask_id

    settings = Settings.from_env(args.county)
    found = pipeline.explain_membership(settings, args.id, args.on)
    print(f"{mask_id(args.id.strip())} 在 {args.on.isoformat()} 的人员类别：")
    if found.empty:
        print("  不在任何总名单或动态调整名单中")
    for row in found.itertuples():
        print(f"  {row.status}：{'是' if row.member else '否'} —— {row.reason}")
    return 0


def _init(args: argparse.Namespace) -> int:
    from yibao import pipeline, tax_exchange

    settings = Settings.from_env(args.county)
    pipeline.init(settings)
    print(f"已初始化：数据目录 {settings.home}，收件目录 {settings.inbox}")
    try:
        tax_exchange.connect_exchange(settings.tax_exchange_url)
    except tax_exchange.ExchangeUnavailable as exc:  # the warehouse is ready; the push will retry the exchange
        print(f"警告：{exc}；推送阶段将在下次运行时重试", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("pipeline", help="在一个进程中运行整条流水线 (run every stage in one process)")
    actions = run.add_subparsers(dest="action", required=True, metavar="动作")
    p = actions.add_parser("run", help="导入各部门数据→校验→身份→资助认定→单据→推送税务→参保进度")
    p.add_argument("--county", required=True, help="规则编号，例如 wenxi-2024")
    p.add_argument("--inbox", help="各部门报送文件所在目录（默认 $YIBAO_HOME/inbox/<county>）")
    p.add_argument("--as-of", type=date_arg, help="统计日期 YYYY-MM-DD（默认北京时间今天）")
    p.add_argument("--full", action="store_true",
                   help="完整重算全县（默认：同日已完整运行且仅名单有更新时，只重算更正涉及的人员）")
    p.add_argument("--feeds", nargs="+", metavar="FEED", help="只检查这些数据源是否有更新（默认全部）")
    p.set_defaults(func=_run)

    e = actions.add_parser("explain", help="某人在某日是否属于各人员类别，由哪个文件、哪一行、哪个日期决定")
    e.add_argument("--county", required=True, help="规则编号，例如 wenxi-2024")
    e.add_argument("--id", required=True, help="身份证号码")
    e.add_argument("--on", type=date_arg, required=True, help="查询日期 YYYY-MM-DD")
    e.set_defaults(func=_explain)

    db = sub.add_parser("db", help="数据库管理 (warehouse and tax exchange)")
    db_actions = db.add_subparsers(dest="action", required=True, metavar="动作")
    i = db_actions.add_parser("init", help="创建数据仓库和税务交换库的表（可重复执行）")
    i.add_argument("--county", help="规则编号（默认 $YIBAO_COUNTY）")
    i.set_defaults(func=_init)
