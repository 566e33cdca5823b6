"""The drops look like the departments' own files: names match the feed globs, headers and encodings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path, PurePosixPath

import pandas as pd
import pytest

from yibao.sources import load_sources
from yibao.synth import generate
from yibao.synth.generator import ENCODING_OF

AS_OF = dt.date(2023, 12, 25)


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wenxi")
    generate("wenxi-2024", 8_000, seed=11, out=out)
    return out


def read_feed(out: Path, source_id: str) -> pd.DataFrame:
    """Read a feed the way the pipeline must: its encoding, or the workbook below its 3 title rows."""
    source = load_sources()[source_id]
    (path,) = list(out.glob(source.files))
    if source.format == "xlsx":
        return pd.read_excel(path, engine="calamine", header=3, dtype=str)
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=ENCODING_OF[source_id])


def test_every_feed_has_exactly_one_file_matching_its_glob(county):
    for source in load_sources().values():
        files = list(county.glob(source.files))
        assert len(files) == 1, source.id
        assert PurePosixPath(files[0].relative_to(county).as_posix()).match(source.files)


@pytest.mark.parametrize("source_id", sorted(load_sources()))
def test_headers_are_the_configured_official_headers(county, source_id):
    source = load_sources()[source_id]
    frame = read_feed(county, source_id)
    assert list(frame.columns) == [source.header(c) for c in source.columns]
    assert len(frame) > 0


def test_xlsx_title_rows_follow_the_wenxi_template(county):
    (path,) = list(county.glob("民政/*总名单*.xlsx"))
    top = pd.read_excel(path, engine="calamine", header=None, dtype=str, nrows=5)
    assert top.iloc[0, 0] == "闻喜县民政局 2023年12月 困难人口总名单"
    assert top.iloc[1, 0] == "单位名称（盖章）：闻喜县民政局"
    assert top.iloc[2, 0] == "2023年12月25日"
    assert top.iloc[3].tolist() == [
        "序号",
        "乡镇（街道）",
        "村（社区）",
        "姓名（务必正确）",
        "身份证号码（务必正确）",
        "人员类别",
    ]
    assert top.iloc[4, 0] == "1"


def test_gb18030_drops_hold_a_character_outside_gbk_and_read_back(county):
    for source_id in ("gongan_juzhu", "canlian"):
        (path,) = list(county.glob(load_sources()[source_id].files))
        raw = path.read_bytes()
        text = raw.decode("gb18030")
        assert "𠮷" in text
        with pytest.raises(UnicodeDecodeError):
            raw.decode("gbk")
        names = set(read_feed(county, source_id)["姓名"])
        truth = pd.read_parquet(county / "_truth" / "persons.parquet")
        assert names <= set(truth["name"])


def test_weijian_is_utf8_with_bom_and_the_register_without(county):
    (weijian,) = list(county.glob("卫健/*.csv"))
    (register,) = list(county.glob("公安/户籍人口*.csv"))
    assert weijian.read_bytes().startswith(b"\xef\xbb\xbf")
    assert register.read_bytes().startswith("公民身份号码".encode())


def test_ids_are_written_as_18_character_text(county):
    register = read_feed(county, "gongan_huji")
    assert register["公民身份号码"].str.fullmatch(r"\d{17}[\dX]").all()
    assert register["公民身份号码"].str.startswith(("140823", "142729")).mean() > 0.9


def test_file_names_carry_the_as_of_date(county):
    names = {
        p.relative_to(county).as_posix() for p in county.rglob("*") if p.is_file() and "_truth" not in p.parts
    }
    assert f"公安/户籍人口_{AS_OF:%Y%m%d}.csv" in names
    assert f"税务/缴费记录_{AS_OF:%Y%m%d}.csv" in names
    assert "民政/闻喜县民政局2023年12月困难人口动态调整名单.xlsx" in names
