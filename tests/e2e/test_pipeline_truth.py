"""The whole pipeline in one process on a generated county, checked against the generator's ground truth.

Runs on SQLite and PostgreSQL. The county is small but has every defect the generator injects.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from yibao import pipeline, policy, storage, synth
from yibao.masking import mask_id
from yibao.money import to_fen

# Which rejection codes each injected defect must produce (any of them), or None when it must be accepted.
EXPECTED_CODES = {
    "BAD_CHECK": {"BAD_CHECK"},
    "EXCEL_SCIENTIFIC": {"EXCEL_SCIENTIFIC"},
    "EXCEL_DECIMAL": {"EXCEL_DECIMAL"},
    "TRUNCATED": {"TRUNCATED"},
    "UNKNOWN_LABEL": {"LABEL_UNKNOWN"},
    "DECEASED_ON_ROSTER": {"DECEASED"},
    "DUP_WITHIN": {"DUPLICATE_ROW"},
    "NOT_IN_REGISTER": {"NOT_IN_REGISTER"},
    "TYPO_ID": {"BAD_CHECK", "NOT_IN_REGISTER", "NAME_MISMATCH"},
}


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    out = tmp_path_factory.mktemp("inbox") / "wenxi-2024"
    summary = synth.generate("wenxi-2024", 6000, 11, out)
    return out, summary


def _run(settings, inbox, as_of):
    return pipeline.run(dataclasses.replace(settings, inbox=inbox), as_of=as_of)


def test_pipeline_matches_ground_truth(settings, county):
    inbox, summary = county
    truth = pd.read_parquet(inbox / "_truth" / "persons.parquet")
    defects = pd.read_parquet(inbox / "_truth" / "defects.parquet")
    result = _run(settings, inbox, summary.as_of)

    assert all(r["status"] == "ok" for r in result["feeds"].values()), result["feeds"]

    # Every defect meant to be rejected is rejected at its row, with the right reason.
    engine = storage.engine(settings.warehouse_url)
    with engine.connect() as conn:
        rejected = pd.DataFrame(conn.execute(sa.select(storage.rejections)).mappings().all())
    codes_at = rejected.groupby(["feed", "file", "row_no"])["reason_codes"].agg(",".join)
    for d in defects[defects["expect"] == "reject"].itertuples():
        found = codes_at.get((d.feed, d.file, d.row), "")
        wanted = EXPECTED_CODES[d.defect]
        assert wanted & set(found.split(",")), f"{d.defect} at {d.feed}:{d.row} got {found!r}"
    # Defects that are safe to normalize are never rejected for their ID.
    for d in defects[defects["expect"] == "normalize"].itertuples():
        found = codes_at.get((d.feed, d.file, d.row), "")
        assert not {"BAD_CHECK", "BAD_CHARS", "BAD_LENGTH"} & set(found.split(",")), (d.defect, found)
    assert not rejected["id_masked"].str.contains(r"\d{7}").any(), "unmasked ID digits in the warehouse"

    # A mistyped ID of someone in the register comes back with the register ID it meant (masked).
    typos = defects[(defects["defect"] == "TYPO_ID") & defects["key"].isin(truth.loc[truth["in_register"], "key"])]
    assert len(typos) > 0
    suggested = rejected.set_index(["feed", "file", "row_no"])["suggested_id_masked"]
    true_id = truth.set_index("key")["id_number"]
    for d in typos.itertuples():
        assert suggested.get((d.feed, d.file, d.row)) == mask_id(true_id[d.key]), d

    # Coverage: should-insure and paid per town equal the truth for people whose register row is usable.
    register_rejected = set(defects.loc[(defects["feed"] == "gongan_huji") & (defects["expect"] == "reject"), "key"])
    usable = truth[~truth["key"].isin(register_rejected)]
    should = usable[usable["should_insure"]]
    expected = should.groupby("town").agg(should_insure=("key", "size"), paid=("paid", "sum"))
    with engine.connect() as conn:
        got = pd.DataFrame(conn.execute(sa.select(storage.coverage_by_town)).mappings().all()).set_index("town")
    for town, row in expected.iterrows():
        assert got.loc[town, "should_insure"] == row["should_insure"], town
        assert got.loc[town, "paid"] == row["paid"], town
    assert result["coverage"]["gap"] == result["coverage"]["should_insure"] - result["coverage"]["paid"]

    # Bills: for people no defect touched, the pipeline's bill equals the policy applied to the truth.
    rules = policy.load("wenxi-2024")
    touched = set(defects["key"])
    clean = should[~should["key"].isin(touched)].reset_index(drop=True)
    members = clean[["key", "statuses"]].assign(status=clean["statuses"].str.split("、")).explode("status")
    members = members[members["status"].fillna("") != ""][["key", "status"]]
    want = policy.decide(rules, clean[["key", "birth_date", "disability_grade"]], members, as_of=summary.as_of)
    want = want[want["subsidy_fen"] > 0].set_index("key")["subsidy_fen"]
    with engine.connect() as conn:
        bills = pd.DataFrame(conn.execute(sa.select(storage.bills)).mappings().all()).set_index("person_key")
    got_bills = bills["subsidy_fen"].reindex(want.index)
    assert got_bills.notna().all(), "assisted people without a bill"
    assert (got_bills.astype("int64") == want).all()
    assert result["bills"]["new"] == len(bills) and result["tax_push"]["pushed"] == len(bills)

    # The money path's contract: CLI approval recorded as such, fund totals equal to the bills to the fen,
    # the finance workbook where the summary says, a count per reconciliation kind.
    assert result["approval"]["status"] == "approved" and "yibao pipeline run" in result["approval"]["decided_by"]
    assert sum(to_fen(Decimal(v)) for v in result["funds"].values()) == int(bills["subsidy_fen"].sum())
    assert set(result["funds"]) == set(rules.funds.values())
    assert Path(result["outputs"]["fund_totals"]).is_file()
    assert set(result["reconciliation"]) == {"personal_unpaid", "no_payment_after_days", "duplicate_payment",
                                             "paid_full_despite_subsidy", "amount_differs"}

    # A rerun over the same drops changes nothing and sends nothing to tax.
    again = _run(settings, inbox, summary.as_of)
    assert again["bills"] == {"new": 0, "amended": 0, "cancelled": 0, "unchanged": len(bills)}
    assert again["tax_push"]["pushed"] == 0


def test_a_broken_drop_fails_only_its_own_feed(settings, county, tmp_path):
    inbox, summary = county
    broken = tmp_path / "inbox"
    import shutil

    shutil.copytree(inbox, broken, ignore=shutil.ignore_patterns("_truth"))
    for f in (broken / "卫健").glob("*.csv"):
        f.write_bytes(b"\xff\xfe\x00garbage\x81")
    result = _run(settings, broken, summary.as_of)
    assert result["feeds"]["weijian"]["status"] == "failed"
    assert "无法识别编码" in result["feeds"]["weijian"]["error"]
    assert all(r["status"] == "ok" for f, r in result["feeds"].items() if f != "weijian")
    assert result["coverage"]["should_insure"] > 0
