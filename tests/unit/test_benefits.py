"""When late payers' benefits start, hand-computed from each county's notice."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from yibao import policy
from yibao.benefits import is_late, late_benefit_start


def start(county: str, paid: str, birth: str = "1980-05-01", no_waiting: bool = False) -> tuple:
    out = late_benefit_start(policy.load(county), pd.Series(pd.to_datetime([paid])), pd.Series(pd.to_datetime([birth])),
                             pd.Series([no_waiting]))
    when = out["benefit_start"].iloc[0]
    return (None if pd.isna(when) else when.date()), out["rule"].iloc[0], out["clause"].iloc[0]


def test_wenxi_three_months_from_payment():
    # 闻政办发〔2023〕29号 五（二）: 本年度错过缴费期……从缴费之日起满三个月后方可享受城乡居民医疗保险待遇
    assert start("wenxi-2024", "2023-12-28") == (dt.date(2024, 3, 28), "waiting", "闻政办发〔2023〕29号 五（二）")
    assert start("wenxi-2024", "2024-01-31") == (dt.date(2024, 4, 30), "waiting", "闻政办发〔2023〕29号 五（二）")


def test_wenxi_window_ends_on_25_december():
    # 三: 2023年9月1日至12月25日办理缴费业务
    late = is_late(policy.load("wenxi-2024"), pd.Series(pd.to_datetime(["2023-12-25", "2023-12-26"])))
    assert late.tolist() == [False, True]


def test_dingtao_three_months_and_newborns():
    # 菏定政办字〔2023〕15号 四（一）: 普通居民在次年1月1日（含1月1日）后缴费的……设置3个月的待遇享受等待期
    assert start("dingtao-2024", "2024-01-15") == (dt.date(2024, 4, 15), "waiting", "菏定政办字〔2023〕15号 四（一）")
    # 四（二）: 新生儿自出生之日起6个月内办理……并缴费的，自出生之日起享受……；超过6个月的，自缴费的次月起享受
    assert start("dingtao-2024", "2024-05-20", birth="2024-02-10") == (
        dt.date(2024, 2, 10), "newborn", "菏定政办字〔2023〕15号 四（二）")
    assert start("dingtao-2024", "2024-06-15", birth="2023-10-01") == (
        dt.date(2024, 7, 1), "newborn_after", "菏定政办字〔2023〕15号 四（二）")


def test_a_newborn_before_the_benefit_year_is_covered_from_1_january():
    # Born in November, enrolled in January: covered from birth, but the 2024 benefit year begins on 1 January.
    assert start("dingtao-2024", "2024-01-10", birth="2023-11-01")[:2] == (dt.date(2024, 1, 1), "newborn")


def test_tengzhou_thirty_days():
    # 滕政办发〔2023〕33号 二（四）: 2024年1月1日后缴费的，设置30日的待遇享受等待期
    assert start("tengzhou-2024", "2024-01-05") == (dt.date(2024, 2, 4), "waiting", "滕政办发〔2023〕33号 二（四）")


def test_juye_unknown_waiting_no_waiting_groups_and_newborns():
    # 巨政办发〔2023〕16号 一（四）: 补缴设有医疗待遇享受等待期 (no length given): no date is guessed.
    assert start("juye-2024", "2024-01-20") == (None, "waiting_unknown", "巨政办发〔2023〕16号 一（四）")
    # 对特困人员、孤儿、低保对象、防止返贫监测帮扶对象……不设置待遇享受等待期
    assert start("juye-2024", "2024-01-20", no_waiting=True) == (
        dt.date(2024, 1, 20), "no_waiting", "巨政办发〔2023〕16号 一（四）")
    # 新生儿出生6个月以内办理……自出生之日起享受；出生超过6个月的，按照普通居民……执行
    assert start("juye-2024", "2024-08-31", birth="2024-03-01")[:2] == (dt.date(2024, 3, 1), "newborn")
    assert start("juye-2024", "2024-06-01", birth="2023-10-10")[:2] == (None, "waiting_unknown")


@pytest.mark.parametrize("county", ["wenxi-2024", "dingtao-2024", "tengzhou-2024", "juye-2024"])
def test_an_older_child_is_not_a_newborn(county):
    rule = start(county, "2024-02-01", birth="2019-06-01")[1]
    assert rule in {"waiting", "waiting_unknown"}
