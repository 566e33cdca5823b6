"""When each department's drop is due, and whether the data in use is from the current period.

A feed config may say ``due: {every: day, by: "05:00"}`` (or ``every: week, weekday: 1`` for Monday, or
``every: month, day: 5``), in Beijing time. At any moment the latest deadline that has passed closes a
period that began at the deadline before it. The feed is *on time* when the drops behind its published
snapshot arrived after that earlier deadline; otherwise it is *late* (the deadline passed without a new
drop) and everything downstream is still running on the older snapshot — said loudly, with its age, in
the run summary and as a failed ``check_due`` task in ``yibao_ingest``. *missing* means nothing was ever
received in a form it could use (never sent, or every drop failed). A drop that arrives after a deadline
counts for the next period.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
EVERY = {"day", "week", "month"}
WEEKDAYS = "一二三四五六日"


@dataclass(frozen=True)
class Due:
    every: str  # day | week | month
    by: dt.time  # Beijing time on the due day
    weekday: int = 1  # 1 = Monday, for every: week
    day: int = 1  # day of the month (1-28), for every: month

    def describe(self) -> str:
        """The schedule in the clerk's words.

        >>> Due("week", dt.time(9), weekday=1).describe(), Due("month", dt.time(17), day=5).describe()
        ('每周一 09:00 前', '每月 5 日 17:00 前')
        """
        at = f"{self.by:%H:%M} 前"
        if self.every == "day":
            return f"每日 {at}"
        if self.every == "week":
            return f"每周{WEEKDAYS[self.weekday - 1]} {at}"
        return f"每月 {self.day} 日 {at}"


def parse_due(raw: object) -> Due | None:
    """The ``due`` block of a feed config; ``ValueError`` (Chinese) when malformed."""
    if raw is None:
        return None
    if not isinstance(raw, dict) or raw.get("every") not in EVERY:
        raise ValueError(f"due 应为 {{every: day|week|month, by: \"HH:MM\"}}，收到 {raw!r}")
    try:
        by = dt.time.fromisoformat(str(raw.get("by", "00:00")))
    except ValueError:
        raise ValueError(f"due.by 应为 HH:MM，收到 {raw.get('by')!r}") from None
    weekday, day = int(raw.get("weekday", 1)), int(raw.get("day", 1))
    if not (1 <= weekday <= 7 and 1 <= day <= 28):
        raise ValueError("due.weekday 应为 1-7（周一为 1），due.day 应为 1-28")
    return Due(str(raw["every"]), by, weekday, day)


def _shift(due: Due, moment: dt.datetime, back: int) -> dt.datetime:
    """The due moment ``back`` periods before the period containing ``moment``'s due day."""
    if due.every == "day":
        return moment - dt.timedelta(days=back)
    if due.every == "week":
        return moment - dt.timedelta(weeks=back)
    month = moment.year * 12 + moment.month - 1 - back
    return moment.replace(year=month // 12, month=month % 12 + 1)


def deadlines(due: Due, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(the deadline before the latest one, the latest deadline at or before ``now``), Beijing time.

    >>> now = dt.datetime(2023, 12, 25, 6, 0, tzinfo=SHANGHAI)
    >>> [f"{d:%m-%d %H:%M}" for d in deadlines(Due("day", dt.time(5)), now)]
    ['12-24 05:00', '12-25 05:00']
    >>> [f"{d:%m-%d}" for d in deadlines(Due("week", dt.time(9), weekday=1), now)]  # 12-25 is a Monday
    ['12-11', '12-18']
    >>> [f"{d:%m-%d}" for d in deadlines(Due("month", dt.time(17), day=5), now)]
    ['11-05', '12-05']
    """
    local = now.astimezone(SHANGHAI)
    if due.every == "day":
        candidate = dt.datetime.combine(local.date(), due.by, SHANGHAI)
    elif due.every == "week":
        date = local.date() - dt.timedelta(days=(local.isoweekday() - due.weekday) % 7)
        candidate = dt.datetime.combine(date, due.by, SHANGHAI)
    else:
        candidate = dt.datetime.combine(local.date().replace(day=due.day), due.by, SHANGHAI)
    latest = candidate if candidate <= local else _shift(due, candidate, 1)
    return _shift(due, latest, 1), latest


def snapshot_meta_path(feed_table: Path) -> Path:
    return feed_table.with_suffix(".meta.json")


def write_snapshot_meta(feed_table: Path, arrived: dt.datetime, files: list[str], run_id: str,
                        sha256: list[str] | None = None) -> None:
    """Beside a published feed table: when the drops it was built from arrived, and their landed hashes
    (no personal data); a correction run compares the inbox against these to skip unchanged feeds."""
    path = snapshot_meta_path(feed_table)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps({"arrived": arrived.isoformat(), "files": files, "run_id": run_id,
                               "sha256": sha256 or []}, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def snapshot_arrived(feed_table: Path) -> dt.datetime | None:
    path = snapshot_meta_path(feed_table)
    if not feed_table.exists() or not path.exists():
        return None
    return dt.datetime.fromisoformat(json.loads(path.read_text(encoding="utf-8"))["arrived"])


def assess(name: str, due: Due | None, arrived: dt.datetime | None, now: dt.datetime) -> dict:
    """The feed's state for the run summary and the ``check_due`` task (counts and times only)."""
    age = None if arrived is None else round((now - arrived).total_seconds() / 86400, 1)
    base = {"due": due.describe() if due else None, "snapshot_arrived": arrived.isoformat() if arrived else None,
            "age_days": age}
    if due is None:
        return {**base, "state": "unscheduled", "message": ""}
    if arrived is None:
        return {**base, "state": "missing",
                "message": f"{name} 应于{due.describe()}报送，从未收到可用的报送，下游没有该数据源的数据"}
    previous, latest = deadlines(due, now)
    if arrived > previous:
        return {**base, "state": "on_time", "message": ""}
    return {**base, "state": "late",
            "message": f"{name} 应于{due.describe()}报送，截止 {latest:%Y-%m-%d %H:%M} 仍未收到新的报送；"
                       f"下游继续使用 {arrived.astimezone(SHANGHAI):%Y-%m-%d %H:%M} 收到的数据（已 {age} 天）"}
