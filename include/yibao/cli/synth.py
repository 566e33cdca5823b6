"""``yibao synth``: generate a synthetic county's department drops and ground truth for tests and demos."""

from __future__ import annotations

import argparse
from pathlib import Path

from yibao.cli.args import date_arg
from yibao.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "synth",
        help="生成模拟县区数据（各部门报送文件 + 真值）",
        description="按规则文件的辖区生成模拟人口、各部门名单（含可配置的数据缺陷）与真值文件 (synthetic county).",
    )
    p.add_argument("--county", required=True, metavar="规则ID", help="规则文件 ID，如 wenxi-2024")
    p.add_argument("--people", required=True, type=int, metavar="N", help="人口数")
    p.add_argument("--seed", type=int, default=1, metavar="S", help="随机种子（同一种子生成完全相同的文件）")
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="输出目录（县区收件箱）")
    p.add_argument(
        "--as-of", type=date_arg, default=None, metavar="YYYY-MM-DD", help="数据截止日期（默认为集中征缴期末）"
    )
    p.add_argument("--defect-scale", type=float, default=1.0, metavar="X", help="缺陷比例倍数，0 表示无缺陷")
    p.add_argument("--force", action="store_true", help="输出目录已有报送文件时覆盖")
    p.set_defaults(func=run)



def run(args: argparse.Namespace) -> int:
    from yibao.synth import DefectRates, existing_drops, generate

    if args.people < 100:
        raise UserError("--people 至少为 100")
    if args.defect_scale < 0:
        raise UserError("--defect-scale 不能为负数")
    found = existing_drops(args.out)
    if found and not args.force:
        raise UserError(f"输出目录 {args.out} 已有 {len(found)} 个报送或真值文件；如需覆盖请加 --force")
    summary = generate(
        args.county,
        args.people,
        args.seed,
        args.out,
        as_of=args.as_of,
        rates=DefectRates().scaled(args.defect_scale),
    )
    injected = sum(n for code, n in summary.defects.items() if code != "DUP_ACROSS")
    print(f"已生成 {summary.rules_id}：{summary.people:,} 人，截止 {summary.as_of}，种子 {summary.seed}")
    for rel, rows in sorted(summary.files.items()):
        print(f"  {rel}  {rows:,} 行")
    print(
        f"注入缺陷 {injected:,} 处（另有跨部门重复 {summary.defects.get('DUP_ACROSS', 0):,} 处，为自然重叠）"
    )
    print(f"真值：{summary.out / '_truth'}；用时 {summary.seconds:.1f} 秒")
    return 0
