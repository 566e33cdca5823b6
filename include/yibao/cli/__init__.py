"""The ``yibao`` command: operators and scripts call it; every sub-command lives in its own module."""

from __future__ import annotations

import argparse
import sys

from yibao import redaction
from yibao.cli import ids, pipeline, policy, synth
from yibao.errors import UserError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="yibao", description="城乡居民医保征缴数据共享流水线 (resident medical insurance pipeline)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="命令")
    for module in (synth, pipeline, ids, policy):
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"错误：{redaction.safe_message(exc)}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - the one top-level error path: a masked traceback, never the raw one
        print(redaction.describe(exc), file=sys.stderr)
        print(f"错误：运行中出现未预料的错误（{type(exc).__name__}），详情见上（身份证号码和姓名已隐去）；"
              "请联系数据中心", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
