"""Landing: every department drop is copied once, immutably, under its SHA-256.

A rerun over the same drop finds the same hash and reads the same bytes; a corrected roster is a new
file with a new hash, so what was loaded on any day can always be shown again.

Only plain files inside the inbox are taken: a symlink (to a file or a department folder) or a path that
leads outside the inbox is refused, and so is a hidden file or a drop in another format than the feed's
(an ``.et`` for an ``.xlsx`` roster, which also takes ``.xls``); each refusal is reported with its reason.
When a feed's config keeps only the current drop (``current: newest_by_name_date`` or
``newest_by_arrival``), the older drops are still landed and listed as superseded, never merged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from yibao.readers import FeedError
from yibao.sources import Source

_NAME_DATES = (  # the first pattern that matches a file name gives its date
    re.compile(r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})(?!\d)"),
    re.compile(r"(?<!\d)((?:19|20)\d{2})[-_.年](\d{1,2})[-_.月](\d{1,2})(?!\d)"),
    re.compile(r"(?<!\d)((?:19|20)\d{2})[-_.年](\d{1,2})(?:月|(?!\d))"),
)


@dataclass(frozen=True)
class LandedFile:
    source: str
    original: str  # path relative to the inbox, as the department named it
    path: Path  # the immutable landed copy
    sha256: str
    size: int
    arrived: dt.datetime  # the drop's modification time in the inbox (UTC)


@dataclass(frozen=True)
class Refused:
    original: str
    reason: str  # Chinese, names no personal data
    fatal: bool  # a symlink or a path outside the inbox fails the feed; a hidden file is only reported


@dataclass
class Landing:
    used: list[LandedFile] = field(default_factory=list)  # the drops this run reads
    superseded: list[LandedFile] = field(default_factory=list)  # landed, listed, not read
    refused: list[Refused] = field(default_factory=list)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def name_date(name: str) -> dt.date | None:
    """The date a department wrote into a file name (a month alone counts as its first day).

    >>> name_date("户籍人口_20231225.csv"), name_date("闻喜县民政局2023年12月困难人口总名单.xlsx")
    (datetime.date(2023, 12, 25), datetime.date(2023, 12, 1))
    >>> name_date("总名单 2023-11-5 更正.xlsx"), name_date("总名单.xlsx")
    (datetime.date(2023, 11, 5), None)
    """
    stem = Path(name).name
    for pattern in _NAME_DATES:
        for found in pattern.finditer(stem):
            y, m, *d = (int(g) for g in found.groups())
            try:
                return dt.date(y, m, d[0] if d else 1)
            except ValueError:
                continue
    return None


def _refusal(inbox: Path, path: Path) -> Refused | None:
    rel = path.relative_to(inbox)
    shown = rel.as_posix()
    for depth in range(1, len(rel.parts) + 1):
        if (inbox / Path(*rel.parts[:depth])).is_symlink():
            kind = "文件" if depth == len(rel.parts) else "文件夹"
            return Refused(shown, f"{kind}“{Path(*rel.parts[:depth]).as_posix()}”是符号链接，已拒收", fatal=True)
    if ".." in rel.parts or not path.resolve().is_relative_to(inbox.resolve()):
        return Refused(shown, "文件位于收件箱之外，已拒收", fatal=True)
    if any(part.startswith((".", "~$")) for part in rel.parts):
        return Refused(shown, "隐藏文件或临时文件，未导入", fatal=False)
    return None


FORMATS = {".xlsx": "Excel 工作簿", ".csv": "CSV 或 Excel 的 Unicode 文本"}
# a workbook feed reads legacy Excel too (WPS's default save); a CSV feed Excel's “Unicode 文本” (.txt, tabs)
ALSO_READ = {".xlsx": (".xls",), ".csv": (".txt",)}


def find_drops(inbox: Path, source: Source) -> tuple[list[Path], list[Refused]]:
    """The plain files in the inbox that belong to a feed (stable order), and the ones refused.

    The extension's case does not matter (``总名单.XLSX`` is a drop); a workbook feed takes legacy ``.xls``
    too, and a CSV feed Excel's Unicode text (``.txt``). A file named as the feed's drops but in another
    format (``总名单.et`` from WPS, an ``.xlsx`` for a CSV feed) is refused with what to do, never passed
    over in silence.
    """
    pattern = Path(source.files)
    wanted = pattern.suffix.lower()
    if any(c in wanted for c in "*?["):  # a pattern that names no one format is taken as written
        wanted = ""
    readable = (wanted, *ALSO_READ.get(wanted, ()))
    found, refused = [], []
    for path in sorted(inbox.glob(pattern.with_suffix(".*").as_posix() if wanted else source.files)):
        problem = _refusal(inbox, path)
        if problem is not None:
            refused.append(problem)
        elif not path.is_file():
            continue
        elif not wanted or path.suffix.lower() in readable:
            found.append(path)
        else:
            refused.append(Refused(path.relative_to(inbox).as_posix(),
                                   f"文件格式为 {path.suffix}，本数据源只读取 {'、'.join(readable)}"
                                   f"（{FORMATS.get(wanted, wanted)}），未导入；请另存为 {wanted} 后重新报送", fatal=False))
    return found, refused


def drop_bytes(inbox: Path, source: Source) -> int:
    """How large a feed's drops in the inbox are (0 for a feed read from a database): what its ingest will
    hold in memory grows with it."""
    found, _ = find_drops(inbox, source) if source.files and inbox.is_dir() else ([], [])
    return sum(path.stat(follow_symlinks=False).st_size for path in found)


def _land_one(inbox: Path, drop: Path, source: Source, landing_dir: Path) -> LandedFile:
    digest = sha256_of(drop)
    target = landing_dir / source.id / f"{digest}{drop.suffix.lower()}"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        shutil.copyfile(drop, tmp, follow_symlinks=False)
        tmp.chmod(0o444)
        tmp.replace(target)
    stat = drop.stat(follow_symlinks=False)
    return LandedFile(source.id, drop.relative_to(inbox).as_posix(), target, digest, stat.st_size,
                      dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC))


def current_order(files: list[LandedFile], rule: str) -> list[LandedFile]:
    """Drops oldest first by the feed's rule; the last one is the current drop.

    ``newest_by_name_date`` orders by the date in the file name (arrival breaks a tie); a drop without
    a date in its name cannot be placed, so the feed fails rather than guess.
    """
    if rule == "newest_by_arrival":
        return sorted(files, key=lambda f: (f.arrived, f.original))
    undated = [f.original for f in files if name_date(f.original) is None]
    if undated and len(files) > 1:
        raise FeedError(f"有多个报送文件，但 {'、'.join(undated)} 的文件名中没有日期，无法判断哪个是最新名单；"
                        "请在文件名中注明日期（如 _20231120）或移走旧文件")
    return sorted(files, key=lambda f: (name_date(f.original) or dt.date.min, f.arrived, f.original))


def land(inbox: Path, source: Source, landing_dir: Path) -> Landing:
    """Copy each drop of ``source`` into ``landing_dir/<feed>/<sha256><suffix>`` unless already there,
    and split them into the drops to read and the superseded ones by the feed's ``current`` rule."""
    drops, refused = find_drops(inbox, source)
    landed = [_land_one(inbox, drop, source, landing_dir) for drop in drops]
    if source.current == "all" or len(landed) <= 1:
        return Landing(landed, [], refused)
    ordered = current_order(landed, source.current)
    return Landing(ordered[-1:], ordered[:-1], refused)
