"""Where stages publish to and read from: Arrow IPC files under ``Settings.staging``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from yibao import storage
from yibao.settings import Settings
from yibao.sources import load_sources


def feed_path(settings: Settings, feed: str) -> Path:
    """A feed's last good staged table."""
    return settings.staging / "feeds" / f"{feed}.arrow"


def rejections_path(settings: Settings, name: str) -> Path:
    return settings.staging / "rejections" / f"{name}.arrow"


def stage_path(settings: Settings, name: str) -> Path:
    """A stage's published table (persons, decisions, person_status, …)."""
    return settings.staging / f"{name}.arrow"


def published_feeds(settings: Settings, kinds: set[str] | None = None, columns: list[str] | None = None,
                    ) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """The last good staged table of every feed (optionally only of some kinds and columns), and each feed's kind."""
    sources = {f: s for f, s in load_sources().items() if kinds is None or s.kind in kinds}
    staged = {feed: storage.read_staged(feed_path(settings, feed), columns)
              for feed in sources if feed_path(settings, feed).exists()}
    return staged, {feed: sources[feed].kind for feed in staged}
