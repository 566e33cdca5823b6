"""The daily report opened the way the bureau opens it: in a browser, from the outbox, with no network."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest

from yibao import pipeline, storage, synth


@pytest.mark.parametrize("db_urls", ["sqlite"], indirect=True)  # the page, not the database, is under test
def test_report_renders_in_chromium(settings, tmp_path, chromium):
    inbox = tmp_path / "inbox" / "wenxi-2024"
    synth.generate("wenxi-2024", 2000, 3, inbox)
    here = dataclasses.replace(settings, inbox=inbox)
    for day in (dt.date(2023, 11, 1), dt.date(2023, 12, 1), dt.date(2023, 12, 20)):  # three days of trend
        result = pipeline.run(here, as_of=day)
    page = result["outputs"]["report_html"]
    shot = tmp_path / "report.png"
    dom = chromium(f"file://{page}", screenshot=shot)
    assert "闻喜县 2024年度城乡居民基本医疗保险参保缴费日报" in dom and "剩余 <b>5</b> 天" in dom
    assert f"{result['coverage']['should_insure']:,}" in dom and f"{result['coverage']['gap']:,}" in dom
    assert dom.count("<svg") == 4 and dom.count("<polyline") == 2, "trend lines need the three snapshots"
    towns = storage.read_staged(settings.staging / "coverage.arrow")
    for town in towns["town"]:
        assert town in dom
    assert not re.search(r"\d{17}[\dX]", dom), "no ID number on the report"
    assert shot.stat().st_size > 100_000, "a blank or failed render is a small PNG"
