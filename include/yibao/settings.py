"""Where the pipeline keeps its files and databases, from environment variables.

One place reads the environment so the CLI, the DAG tasks and the tests agree on every path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    home: Path
    county: str
    warehouse_url: str
    tax_exchange_url: str
    inbox: Path  # department drops for this county (one folder per department)

    @classmethod
    def from_env(cls, county: str | None = None) -> Settings:
        home = Path(os.environ.get("YIBAO_HOME") or PROJECT_ROOT / "data").resolve()
        county = county or os.environ.get("YIBAO_COUNTY") or "wenxi-2024"
        return cls(
            home=home,
            county=county,
            inbox=home / "inbox" / county,
            warehouse_url=os.environ.get("YIBAO_WAREHOUSE_URL") or f"sqlite:///{home / 'warehouse.db'}",
            tax_exchange_url=os.environ.get("YIBAO_TAX_EXCHANGE_URL") or f"sqlite:///{home / 'tax_exchange.db'}",
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
        """Published canonical tables (Parquet), one per feed and per stage."""
        return self.home / "staging" / self.county
