"""The dated outbox: ``$YIBAO_HOME/outbox/<county>/<as_of>/``, where every file people open lands.

A day's outputs are replaced whole when the day is rerun, and a reader never sees a half-built folder:
:func:`replace_dir` builds next to the target and swaps it in with renames.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from yibao.settings import Settings


def day_dir(settings: Settings, as_of: dt.date) -> Path:
    """The folder of one county's outputs for one run date."""
    return settings.outbox / as_of.isoformat()


def replace_dir(target: Path, build: Callable[[Path], None]) -> Path:
    """Fill a fresh temp sibling with ``build(tmp)``, then put it in place of ``target`` (old one removed).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     target = Path(d) / "lists"
    ...     _ = replace_dir(target, lambda p: (p / "old.txt").write_text("1"))
    ...     _ = replace_dir(target, lambda p: (p / "new.txt").write_text("2"))
    ...     sorted(x.name for x in Path(d).iterdir()), sorted(x.name for x in target.iterdir())
    (['lists'], ['new.txt'])
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    old = target.with_name(f".{target.name}.{os.getpid()}.old")
    for leftover in (tmp, old):
        shutil.rmtree(leftover, ignore_errors=True)
    tmp.mkdir()
    try:
        build(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)
    return target
