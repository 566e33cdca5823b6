"""Person statuses, gaps by town/village/household, assisted coverage and refund candidates on a small
hand-built county (闻喜 rules: window 2023-09-01..12-25, personal part 380, 低保 pays 76)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pytest

from yibao import coverage, policy, refunds

AS_OF = dt.date(2024, 1, 20)


@pytest.fixture(scope="module")
def wenxi():
    return policy.load("wenxi-2024")


def person(key, town, village, household, **flags):
    base = {"key": key, "id_number": f"14082319800101{key:04d}", "name": f"张{key}明", "sex": "男",
            "birth_date": pd.Timestamp("1980-01-01"), "town": town, "village": village, "household_id": household,
            "deceased": False, "moved_out": False, "status_date": pd.NaT, "employee_insured": False,
            "insured_elsewhere": False}
    base.update(flags)
    base["should_insure"] = not (base["deceased"] or base["moved_out"] or base["employee_insured"]
                                 or base["insured_elsewhere"])
    return base


@pytest.fixture(scope="module")
def county(wenxi):
    persons = pd.DataFrame([
        person(1, "桐城镇", "东街村", "H1"),  # paid in the window
        person(2, "桐城镇", "东街村", "H1"),  # same household, unpaid → partly paid household
        person(3, "桐城镇", "西街村", "H2"),  # 低保, paid 76
        person(4, "桐城镇", "西街村", "H2"),  # 特困, no record yet
        person(5, "东镇镇", "南村", "H3"),  # paid late (after 12-25)
        person(6, "东镇镇", "南村", "H3", deceased=True, status_date=pd.Timestamp("2023-11-30")),  # paid, then died
        person(7, "东镇镇", "南村", "H4", employee_insured=True),  # paid, employee insured since 2023-10-01
        person(8, "东镇镇", "南村", "H4", insured_elsewhere=True),  # insured elsewhere, never paid
        person(9, "东镇镇", "南村", "H5", moved_out=True),
        person(10, "东镇镇", "北村", "", employee_insured=True),  # paid, but insured only from 2024-03-01
    ])
    decisions = pd.DataFrame({"key": [1, 2, 3, 4, 5], "category": ["", "", "低保对象", "特困人员", ""],
                              "subsidy_fen": [0, 0, 30400, 38000, 0], "personal_fen": [38000, 38000, 7600, 0, 38000]})
    memberships = pd.DataFrame({"key": [3, 4], "status": ["低保对象", "特困人员"]})
    payments = pd.DataFrame({
        "key": [1, 3, 5, 6, 7, 10, 1, 2],
        "paid_year": [2024, 2024, 2024, 2024, 2024, 2024, 2024, 2025],
        "paid_date": pd.to_datetime(["2023-10-01", "2023-11-01", "2024-01-10", "2023-10-05", "2023-09-20",
                                     "2023-09-21", "2023-10-03", "2023-10-01"]),
        "paid_fen": [38000, 7600, 38000, 38000, 38000, 38000, 38000, 38000],
    })
    statuses = coverage.person_statuses(persons, decisions, memberships, payments, wenxi, AS_OF)
    return persons, statuses


def test_each_person_has_exactly_one_status_and_they_add_up(county):
    persons, statuses = county
    assert statuses.set_index("key")["status"].to_dict() == {
        1: "paid", 2: "unpaid", 3: "assisted_paid", 4: "assisted_unpaid", 5: "paid_late",
        6: "excluded_deceased", 7: "excluded_employee", 8: "excluded_elsewhere", 9: "excluded_moved_out",
        10: "excluded_employee",
    }
    counts = coverage.status_counts(statuses)
    assert list(counts) == list(coverage.STATUSES) and sum(counts.values()) == len(persons)


def test_payments_other_years_and_duplicates(county):
    _, statuses = county
    row = statuses.set_index("key")
    assert row.loc[1, "paid_records"] == 2 and row.loc[1, "paid_fen"] == 76000  # a duplicate payment, summed
    assert row.loc[1, "paid_date"] == pd.Timestamp("2023-10-01")
    assert pd.isna(row.loc[2, "paid_date"]), "a 2025 payment does not count for 2024"


def test_late_payer_benefit_start(county):
    _, statuses = county
    late = statuses.set_index("key").loc[5]
    assert (late["benefit_start"], late["benefit_rule"], late["benefit_clause"]) == (
        pd.Timestamp("2024-04-10"), "waiting", "闻政办发〔2023〕29号 五（二）")


def test_towns_villages_households_and_assisted(county, wenxi):
    _, statuses = county
    towns = coverage.by_town(statuses, wenxi.jurisdiction).set_index("town")
    assert towns.loc["桐城镇", ["should_insure", "paid", "gap", "assisted_should", "assisted_paid"]].tolist() == [4, 2, 2, 2, 1]
    assert towns.loc["桐城镇", "rate"] == 0.5 and towns.loc["桐城镇", "task_population"] == 59332
    assert towns.loc["桐城镇", "task_rate"] == pytest.approx(2 / 59332)
    assert towns.loc["东镇镇", ["should_insure", "paid", "late", "excluded"]].tolist() == [1, 1, 1, 5]
    assert pd.isna(towns.loc["河底镇", "rate"]), "a town with nobody to insure has no rate, not 0%"
    assert list(towns.index[:3]) == ["桐城镇", "东镇镇", "河底镇"], "towns in the notice's order"
    villages = coverage.by_village(statuses).set_index(["town", "village"])
    assert villages.loc[("桐城镇", "东街村"), ["should_insure", "paid", "gap"]].tolist() == [2, 1, 1]
    assert villages.loc[("东镇镇", "北村"), "should_insure"] == 0
    households = coverage.partial_households(statuses)
    assert households[["household_id", "members", "paid", "unpaid"]].values.tolist() == [["H1", 2, 1, 1], ["H2", 2, 1, 1]]
    assert towns.loc["桐城镇", "partial_households"] == 2
    assisted = coverage.assisted_by_category(statuses, wenxi).set_index("category")
    assert assisted.loc["低保对象", ["should_insure", "paid", "rate"]].tolist() == [1, 1, 1.0]
    assert assisted.loc["特困人员", ["should_insure", "paid", "gap"]].tolist() == [1, 0, 1]


def test_aggregates_shifted_by_a_few_people_equal_a_recount(county, wenxi):
    """A correction moves the published aggregates by the changed people's counts: the same tables as
    counting every status again (a new category appears, someone becomes assisted, another stops being)."""
    _, before = county
    after = before.astype({"category": "str"})
    changed = after["key"].isin([1, 3, 5, 8])
    after.loc[after["key"] == 1, ["category", "subsidy_fen"]] = ["孤儿", 38000]
    after.loc[after["key"] == 3, ["category", "subsidy_fen"]] = ["", 0]
    after.loc[after["key"] == 8, "status"] = "paid"
    gone, came = before[changed], after[changed]
    households = coverage.partial_households(before)

    def shift(table, by, only=lambda rows: rows):
        return coverage.shifted(table, by, only(gone), only(came))

    towns = coverage.by_town(before, wenxi.jurisdiction, households)
    pd.testing.assert_frame_equal(coverage.town_report(shift(towns, ["town"]), wenxi.jurisdiction, households),
                                  coverage.by_town(after, wenxi.jurisdiction, households))
    pd.testing.assert_frame_equal(coverage.village_report(shift(coverage.by_village(before), ["town", "village"])),
                                  coverage.by_village(after))
    assisted = shift(coverage.assisted_by_category(before, wenxi), ["category"], coverage.assisted)
    pd.testing.assert_frame_equal(coverage.assisted_report(assisted, wenxi), coverage.assisted_by_category(after, wenxi))
    assert "孤儿" in set(coverage.assisted_by_category(after, wenxi).query("should_insure > 0")["category"])


def test_refund_candidates_with_evidence(county, wenxi):
    persons, statuses = county
    employee = pd.DataFrame({"key": [7, 10], "insured_since": pd.to_datetime(["2023-10-01", "2024-03-01"]),
                             "_file": ["医保/职工医保.csv"] * 2, "_row": [5, 6]})
    events = pd.concat([refunds.death_events(persons, "公安局·户籍人口信息"),
                        refunds.insured_events(employee, "employee_insurance", "医保局·职工医保")], ignore_index=True)
    who = pa.Table.from_pandas(persons[["key", "name", "id_number"]], preserve_index=False)
    found = refunds.refund_candidates(statuses, who, events, wenxi).set_index("key")
    # 6 died 2023-11-30 after paying; 7 joined employee insurance 2023-10-01; 10 only from 2024-03-01 (no refund)
    assert sorted(found.index) == [6, 7]
    assert found.loc[6, "case"] == "死亡" and found.loc[6, "event_date"] == pd.Timestamp("2023-11-30")
    assert found.loc[7, "evidence"] == "医保局·职工医保 医保/职工医保.csv 第5行"
    assert (found["clause"] == refunds.NO_CLAUSE).all(), "闻喜's notice has no refund clause"
    juye = policy.load("juye-2024")
    assert (refunds.refund_candidates(statuses, who, events, juye)["clause"] == juye.refund.basis.text).all()
    assert found.loc[6, "name"] == "张6明" and found.loc[7, "id_number"] == "140823198001010007"
    with pytest.raises(ValueError, match="行序不一致"):  # who they are is taken by position: never from another order
        refunds.refund_candidates(statuses, who.take(list(range(len(who)))[::-1]), events, wenxi)


def test_days_left(wenxi):
    assert coverage.days_left(wenxi, dt.date(2023, 12, 1)) == 24
    assert coverage.days_left(wenxi, AS_OF) == 0


def test_a_county_without_targets_still_gets_rates(county):
    _, statuses = county
    tengzhou = policy.load("tengzhou-2024")  # 滕州's notice sets no per-town task
    towns = coverage.by_town(statuses, tengzhou.jurisdiction).set_index("town")
    assert towns.loc["桐城镇", "rate"] == 0.5, "towns not in the rules file are still reported, last"
    assert towns["task_population"].isna().all() and towns["task_rate"].isna().all()
    assert list(towns.index[-2:]) == sorted(["东镇镇", "桐城镇"])


def test_statuses_are_audited_before_they_are_published():
    from yibao.stages.coverage import audit_statuses

    counts = {"paid": 2, "unpaid": 1}
    audit_statuses(pd.DataFrame({"key": [5, 3, 9]}), by_status=counts)
    published = pa.chunked_array([[5, 3], [9]])  # a correction patches these people, in this order
    audit_statuses(pa.table({"key": [5, 3, 9]}), by_status=counts, published=published)
    refused = [
        (pd.DataFrame({"key": [5, 5, 9]}), None),  # a person twice
        (pd.DataFrame({"key": [5, 3]}), None),  # counts say three
        (pa.table({"key": [5, 9, 3]}), published),  # another order than the published rows
        (pa.table({"key": [5, 3, 8]}), published),  # someone else
        (pd.DataFrame({"key": [5, 3, 9]}), published),  # a patch is Arrow, as published
    ]
    for frame, before in refused:
        with pytest.raises(RuntimeError, match="人员状态合计与人员总数不一致"):
            audit_statuses(frame, by_status=counts, published=before)
