"""Where the pipeline keeps its files and databases, from environment variables.

One place reads the environment so the CLI, the DAG tasks and the tests agree on every path.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEMO_COUNTY = "wenxi-2024"
_COUNTY_ID = re.compile(r"[a-z0-9][a-z0-9-]*")  # it becomes part of DAG ids, asset URIs, pools and queues


def served_counties(env: Mapping[str, str] = os.environ) -> list[str]:
    """The rules ids this deployment serves: ``YIBAO_COUNTIES`` (comma-separated), else ``YIBAO_COUNTY``,
    else the demo county. Light (no I/O): the DAG files call it at parse time.

    >>> served_counties({"YIBAO_COUNTIES": " wenxi-2024, juye-2024,,wenxi-2024"})
    ['wenxi-2024', 'juye-2024']
    >>> served_counties({"YIBAO_COUNTY": "juye-2024"}), served_counties({})
    (['juye-2024'], ['wenxi-2024'])
    >>> served_counties({"YIBAO_COUNTIES": "wenxi-2024,Juye 2024"})
    Traceback (most recent call last):
    ValueError: YIBAO_COUNTIES 中的规则编号 ['Juye 2024'] 无效：只可用小写字母、数字和连字符（如 wenxi-2024）
    """
    raw = env.get("YIBAO_COUNTIES") or env.get("YIBAO_COUNTY") or DEMO_COUNTY
    counties = list(dict.fromkeys(c.strip() for c in raw.split(",") if c.strip()))
    bad = [c for c in counties if not _COUNTY_ID.fullmatch(c)]
    if bad:
        raise ValueError(f"YIBAO_COUNTIES 中的规则编号 {bad} 无效：只可用小写字母、数字和连字符（如 wenxi-2024）")
    return counties


@dataclass(frozen=True)
class Settings:
    home: Path
    county: str
    warehouse_url: str
    tax_exchange_url: str
    inbox: Path  # department drops for this county (one folder per department)
    lock_wait_seconds: float = 600.0  # how long a second run waits for the county lock before refusing
    # Auto-approval of a bill batch in the DAG (operations risk, not policy: no notice clause, so not in the
    # rules file): at most this many bills AND at most this much money moved. 0 bills: always ask a person.
    auto_approve_max_bills: int = 0
    auto_approve_max_yuan: str = "0"
    overdue_days: int = 30  # reconciliation: a bill tax has had this long without any payment is a case
    # The run date when none is given (``YIBAO_AS_OF``): replays and the demo, whose synthetic campaign is
    # a past year's, pin it; unset, runs use today's date in Beijing. Checked like any date (yibao.run_date).
    as_of: dt.date | None = None

    @classmethod
    def from_env(cls, county: str | None = None) -> Settings:
        home = Path(os.environ.get("YIBAO_HOME") or PROJECT_ROOT / "data").resolve()
        county = county or os.environ.get("YIBAO_COUNTY") or DEMO_COUNTY
        return cls(
            home=home,
            county=county,
            inbox=home / "inbox" / county,
            warehouse_url=os.environ.get("YIBAO_WAREHOUSE_URL") or f"sqlite:///{home / 'warehouse.db'}",
            tax_exchange_url=os.environ.get("YIBAO_TAX_EXCHANGE_URL") or f"sqlite:///{home / 'tax_exchange.db'}",
            lock_wait_seconds=float(os.environ.get("YIBAO_LOCK_WAIT_SECONDS") or 600),
            auto_approve_max_bills=int(os.environ.get("YIBAO_AUTO_APPROVE_MAX_BILLS") or 0),
            auto_approve_max_yuan=os.environ.get("YIBAO_AUTO_APPROVE_MAX_YUAN") or "0",
            overdue_days=int(os.environ.get("YIBAO_OVERDUE_DAYS") or 30),
            as_of=dt.date.fromisoformat(os.environ["YIBAO_AS_OF"]) if os.environ.get("YIBAO_AS_OF") else None,
        )

    @property
    def landing(self) -> Path:
        """Immutable copies of every drop, named by content hash."""
        return self.home / "landing" / self.county

    @property
    def outbox(self) -> Path:
        """What people open (lists, workbooks, reports), one folder per run date."""
        return self.home / "outbox" / self.county

    @property
    def staging(self) -> Path:
        """Published canonical tables (Arrow IPC files), one per feed and per stage."""
        return self.home / "staging" / self.county
