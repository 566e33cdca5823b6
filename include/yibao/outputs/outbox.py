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


def replace_dir(target: Path, build: Callable[[Path], None], *, keep: Callable[[Path], bool] | None = None) -> Path:
    """Fill a fresh temp sibling with ``build(tmp)``, then put it in place of ``target`` (old one removed).
    With ``keep``, the files of ``target`` whose relative path it accepts and that ``build`` did not write
    are carried over (hard links: nothing is copied, and the published files are never written to).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     target = Path(d) / "lists"
    ...     _ = replace_dir(target, lambda p: (p / "old.txt").write_text("1"))
    ...     _ = replace_dir(target, lambda p: (p / "new.txt").write_text("2"))
    ...     sorted(x.name for x in Path(d).iterdir()), sorted(x.name for x in target.iterdir())
    (['lists'], ['new.txt'])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     target = Path(d) / "lists"
    ...     _ = replace_dir(target, lambda p: [(p / n).write_text("1") for n in ("a.txt", "b.txt")])
    ...     _ = replace_dir(target, lambda p: (p / "b.txt").write_text("2"), keep=lambda path: True)
    ...     [(x.name, x.read_text()) for x in sorted(target.iterdir())]
    [('a.txt', '1'), ('b.txt', '2')]
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    old = target.with_name(f".{target.name}.{os.getpid()}.old")
    for leftover in (tmp, old):
        shutil.rmtree(leftover, ignore_errors=True)
    tmp.mkdir()
    try:
        build(tmp)
        if keep is not None and target.exists():
            for kept in target.rglob("*"):
                into = tmp / kept.relative_to(target)
                if kept.is_file() and keep(kept.relative_to(target)) and not into.exists():
                    into.parent.mkdir(parents=True, exist_ok=True)
                    os.link(kept, into)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)
    return target
