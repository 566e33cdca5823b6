"""A 50,000-person county has the advertised rates, within tolerances a real county would show."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from yibao.synth import DefectRates, generate
from yibao.synth.rosters import RATES

N = 50_000


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("rates")
    generate("wenxi-2024", N, seed=2024, out=out)
    return out


@pytest.fixture(scope="module")
def persons(county) -> pd.DataFrame:
    return pd.read_parquet(county / "_truth" / "persons.parquet")


def share(mask: pd.Series) -> float:
    return float(mask.mean())


def test_population_shares(persons):
    assert len(persons) == N
    assert share(persons["residence_permit"]) == pytest.approx(0.03, abs=0.002)
    assert share(~persons["alive"]) == pytest.approx(0.007, abs=0.002)
    assert share(persons["employee_insured"]) == pytest.approx(0.06, abs=0.008)
    assert share(persons["insured_elsewhere"]) == pytest.approx(0.02, abs=0.005)
    newborn = persons["birth_date"] > pd.Timestamp("2022-12-25")
    assert 0.002 < share(newborn) < 0.012


def test_age_pyramid_is_old_like_rural_north_china(persons):
    age = (pd.Timestamp("2023-12-25") - persons["birth_date"]).dt.days // 365
    children, middle_aged = share(age < 15), share((age >= 50) & (age < 70))
    assert 0.08 < children < 0.18
    assert middle_aged > children
    assert share(age >= 60) > 0.15


def test_households_have_one_head_and_up_to_six_members(persons):
    local = persons[persons["household_id"] != ""]
    sizes = local.groupby("household_id").size()
    heads = local[local["relation"] == "户主"].groupby("household_id").size()
    assert sizes.max() <= 6 and (heads == 1).all() and len(heads) == len(sizes)


@pytest.mark.parametrize("status", ["特困人员", "低保对象", "残疾人", "稳定脱贫人口", "计生优待家庭成员"])
def test_status_rates(persons, status):
    held = persons["statuses"].str.split("、").apply(lambda s: status in s)
    assert share(held) == pytest.approx(RATES[status], rel=0.25)


def test_overlaps_are_realistic(persons):
    statuses = persons["statuses"]
    tekun = statuses.str.contains("特困人员")
    disabled = persons["disability_grade"].notna()
    assert share(disabled[tekun]) > 3 * share(disabled)  # many 特困 are disabled
    dibao = persons[statuses.str.contains("低保对象")]
    assert dibao.groupby("household_id").size().mean() > 1.5  # household members share 低保
    assert persons["disability_grade"].dropna().isin([1, 2, 3, 4]).all()


def test_payment_rate_and_town_spread(persons, county):
    should = persons[persons["should_insure"]]
    assert share(should["paid"]) == pytest.approx(0.88, abs=0.03)
    by_town = should.groupby("town")["paid"].mean()
    assert by_town.max() - by_town.min() > 0.02
    assert not persons.loc[~persons["alive"], "paid"].any()
    assert (persons.loc[persons["paid"], "paid_date"] <= pd.Timestamp("2023-12-25")).all()


def test_defect_counts_follow_the_rates(county):
    summary = json.loads((county / "_truth" / "summary.json").read_text(encoding="utf-8"))
    roster_rows = sum(
        rows
        for rel, rows in summary["files"].items()
        if rel.split("/")[0] in {"民政", "乡村振兴", "残联", "卫健", "退役军人"}
    )
    rates = DefectRates()
    for code in ("BAD_CHECK", "TYPO_ID", "VARIANT_LABEL", "DUP_WITHIN", "EXCEL_SCIENTIFIC"):
        assert summary["defects"][code] == pytest.approx(rates.rate(code) * roster_rows, rel=0.2), code


def test_ages_inside_households_make_sense(persons):
    local = persons[persons["household_id"] != ""].copy()
    local["age"] = (pd.Timestamp("2023-12-25") - local["birth_date"]).dt.days // 365
    head_age = local[local["relation"] == "户主"].set_index("household_id")["age"]
    gap = local["household_id"].map(head_age) - local["age"]
    assert (gap[local["relation"] == "子女"] > 0).mean() > 0.99  # children are younger than the head
    assert (gap[local["relation"] == "父母"] < -15).all()  # parents are a generation older
    spouses = local[local["relation"] == "配偶"]
    heads = local[local["relation"] == "户主"].set_index("household_id")["sex"]
    assert (spouses["sex"] != spouses["household_id"].map(heads)).all()
