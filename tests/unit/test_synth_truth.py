"""The ground truth says exactly what the drops hold: every defect at its row, every payment, every person."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from yibao.sources import load_sources
from yibao.synth import generate
from yibao.synth.generator import ENCODING_OF

AS_OF = dt.date(2024, 1, 20)  # after the window (ends 2023-12-25): late payments are visible


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wenxi_truth")
    generate("wenxi-2024", 12_000, seed=5, out=out, as_of=AS_OF)
    return out


@pytest.fixture(scope="module")
def persons(county) -> pd.DataFrame:
    return pd.read_parquet(county / "_truth" / "persons.parquet")


@pytest.fixture(scope="module")
def defects(county) -> pd.DataFrame:
    return pd.read_parquet(county / "_truth" / "defects.parquet")


def read(county: Path, source_id: str) -> pd.DataFrame:
    source = load_sources()[source_id]
    (path,) = list(county.glob(source.files))
    if source.format == "xlsx":
        frame = pd.read_excel(path, engine="calamine", header=3, dtype=str)
    else:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=ENCODING_OF[source_id])
    return frame.rename(columns={source.header(c): c for c in source.columns})


def key_of(ids: pd.Series) -> np.ndarray:
    """Hand-rolled person key of clean 18-character IDs: int(first 17) × 11 + check value (X = 10)."""
    first = ids.str.slice(0, 17).astype("int64").to_numpy()
    last = ids.str.slice(17).replace("X", "10").astype("int64").to_numpy()
    return first * 11 + last


def test_every_defect_row_holds_what_the_truth_says_was_written(county, defects):
    label_defects = {"UNKNOWN_LABEL", "VARIANT_LABEL"}
    for feed, rows in defects.groupby("feed"):
        frame = read(county, feed)
        assert rows["file"].nunique() == 1 and (county / rows["file"].iloc[0]).is_file()
        column = np.where(rows["defect"].isin(label_defects), "category", "id_number")
        cells = [frame.at[r - 1, c] for r, c in zip(rows["row"], column, strict=True)]
        assert cells == rows["as_written"].tolist(), feed


def test_defect_counts_in_the_files_match_the_truth(county, defects, persons):
    ids = dict(zip(persons["key"], persons["id_number"], strict=True))
    for feed in ("minzheng_zongmingdan", "xiangcun_zongmingdan", "canlian", "weijian", "tuiyi"):
        frame = read(county, feed)
        logged = defects[defects["feed"] == feed]
        id_defects = logged[
            ~logged["defect"].isin(
                [
                    "UNKNOWN_LABEL",
                    "VARIANT_LABEL",
                    "DECEASED_ON_ROSTER",
                    "DUP_WITHIN",
                    "DUP_ACROSS",
                    "NOT_IN_REGISTER",
                ]
            )
        ]
        not_clean = ~frame["id_number"].str.fullmatch(r"\d{17}[\dX]")
        bad_check = frame["id_number"].str.fullmatch(r"\d{17}[\dX]") & ~frame["id_number"].isin(
            set(ids.values())
        )
        assert (not_clean | bad_check).sum() == len(id_defects), feed
        well_formed = frame.loc[~not_clean, "id_number"]  # damaged IDs may collide ('1.40823E+17')
        dup_rows = well_formed[well_formed.duplicated()]
        assert len(dup_rows) == (logged["defect"] == "DUP_WITHIN").sum(), feed


def test_id_defects_are_the_advertised_damage(defects, persons):
    true_id = defects["key"].map(dict(zip(persons["key"], persons["id_number"], strict=True)))
    written = defects["as_written"]
    for code, check in {
        "LOWER_X": lambda w, t: w == t.str.slice(0, 17) + "x",
        "EXCEL_DECIMAL": lambda w, t: w == t + ".0",
        "LEGACY_15": lambda w, t: w == t.str.slice(0, 6) + t.str.slice(8, 17),
        "EXCEL_SCIENTIFIC": lambda w, t: (
            w.str.fullmatch(r"\d\.\d{5}E\+17") & (w.str.slice(0, 1) == t.str.slice(0, 1))
        ),
        "TRUNCATED": lambda w, t: pd.Series(
            [len(a) in (16, 17) and b.startswith(a) for a, b in zip(w, t, strict=True)]
        ),
        "BAD_CHECK": lambda w, t: (w.str.slice(0, 17) == t.str.slice(0, 17)) & (w != t),
    }.items():
        rows = defects["defect"] == code
        assert rows.any(), code
        assert check(written[rows], true_id[rows]).all(), code
    fullwidth = written[defects["defect"] == "FULLWIDTH"]
    assert fullwidth.str.normalize("NFKC").isin(set(persons["id_number"])).all()


def test_typo_ids_differ_by_one_digit_or_one_adjacent_swap(defects, persons):
    true_id = dict(zip(persons["key"], persons["id_number"], strict=True))
    typos = defects[defects["defect"] == "TYPO_ID"]
    assert len(typos) > 0
    for key, written in zip(typos["key"], typos["as_written"], strict=True):
        truth = true_id[key]
        diff = [i for i in range(18) if truth[i] != written[i]]
        swapped = len(diff) == 2 and diff[1] == diff[0] + 1 and truth[diff[0]] == written[diff[1]]
        assert len(diff) == 1 or swapped
        assert sorted(written) == sorted(truth) or len(diff) == 1


def test_person_keys_and_ids_agree(persons):
    assert (key_of(persons["id_number"]) == persons["key"].to_numpy()).all()
    assert persons["key"].is_unique
    # Birth date and sex digit are consistent with the ID.
    assert (persons["id_number"].str.slice(6, 14) == persons["birth_date"].dt.strftime("%Y%m%d")).all()
    male = persons["id_number"].str.slice(16, 17).astype(int) % 2 == 1
    assert (male == (persons["sex"] == "男")).all()


def test_check_characters_match_a_hand_computed_example():
    from yibao.synth.idnumbers import id_strings, person_keys

    # 11010519491231002X is the standard's worked example; 440524188001010014 another known-valid ID.
    assert id_strings(np.array([11010519491231002, 44052418800101001])).str.slice(17).tolist() == ["X", "4"]
    assert person_keys(np.array([44052418800101001])).tolist() == [44052418800101001 * 11 + 4]


def test_register_and_permit_files_match_the_truth(county, persons):
    register = read(county, "gongan_huji")
    permit = read(county, "gongan_juzhu")
    assert set(key_of(register["id_number"])) == set(persons.loc[persons["in_register"], "key"])
    assert set(key_of(permit["id_number"])) == set(persons.loc[persons["residence_permit"], "key"])
    dead = persons.loc[~persons["alive"], "key"]
    status = register.set_index(key_of(register["id_number"]))["register_status"]
    assert (status.loc[dead[dead.isin(status.index)]] == "死亡").all()


def test_not_in_register_people_are_absent_from_register_and_permits(county, defects):
    missing = set(defects.loc[defects["defect"] == "NOT_IN_REGISTER", "key"])
    assert missing
    listed = set(key_of(read(county, "gongan_huji")["id_number"])) | set(
        key_of(read(county, "gongan_juzhu")["id_number"])
    )
    assert not missing & listed


def test_deceased_on_roster_are_dead(defects, persons):
    dead = set(persons.loc[~persons["alive"], "key"])
    rows = defects[defects["defect"] == "DECEASED_ON_ROSTER"]
    assert len(rows) > 0 and set(rows["key"]) <= dead


def test_payments_only_for_should_insure_and_never_for_the_dead(county, persons):
    pay = read(county, "shuiwu_jiaofei")
    keys = key_of(pay["id_number"])
    truth = persons.set_index("key")
    assert truth.loc[keys, "alive"].all()
    assert truth.loc[keys, "should_insure"].all()
    assert set(keys) == set(persons.loc[persons["paid"], "key"])
    assert (pd.to_datetime(pay["paid_date"]) <= pd.Timestamp(AS_OF)).all()
    assert (pd.to_datetime(pay["paid_date"]) > pd.Timestamp("2023-12-25")).any()  # late payments
    fen = (pay["paid_amount"].str.replace(".", "", regex=False)).astype(int).to_numpy()
    assert (fen == truth.loc[keys, "paid_fen"].to_numpy()).all()
    assert set(pay["paid_amount"]) >= {"380.00"} and pay["paid_year"].eq("2024").all()


def test_should_insure_is_alive_here_and_not_insured_otherwise(persons):
    expected = (
        persons["alive"]
        & ~persons["moved_out"]
        & (persons["in_register"] | persons["residence_permit"])
        & ~persons["employee_insured"]
        & ~persons["insured_elsewhere"]
    )
    assert (persons["should_insure"] == expected).all()
    assert not (persons["paid"] & ~persons["should_insure"]).any()


def test_summary_counts_match_the_files(county, defects):
    summary = json.loads((county / "_truth" / "summary.json").read_text(encoding="utf-8"))
    assert summary["defects"] == defects["defect"].value_counts().to_dict()
    for rel, rows in summary["files"].items():
        source = next(s for s in load_sources().values() if Path(rel).match(s.files))
        assert len(read(county, source.id)) == rows
    assert summary["as_of"] == AS_OF.isoformat() and summary["seed"] == 5


def test_yibao_ids_agrees_with_the_truth(persons, defects):
    """Every true ID passes the ID module; every ID defect gets the outcome its ``expect`` promises."""
    from yibao.ids import check

    people = check(persons["id_number"], as_of=AS_OF)
    assert people["valid"].all()
    assert (people["key"].to_numpy() == persons["key"].to_numpy()).all()
    id_rows = defects[~defects["defect"].isin(["UNKNOWN_LABEL", "VARIANT_LABEL"])].reset_index(drop=True)
    result = check(id_rows["as_written"], as_of=AS_OF)
    same = result["key"].to_numpy() == id_rows["key"].to_numpy()
    normalize = (id_rows["expect"] == "normalize").to_numpy()
    reject = (id_rows["expect"] == "reject").to_numpy()
    assert (result["valid"].to_numpy()[normalize] & same[normalize]).all()
    assert not result["valid"].to_numpy()[reject].any()
