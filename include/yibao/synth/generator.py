"""``generate``: a whole synthetic county — people, department drops and the ground truth — from a seed.

Every random draw comes from a numpy ``Generator(PCG64)`` stream derived from the seed and the stage
name, so a stage's draws do not shift when another stage changes, and the same seed gives the same bytes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from yibao import policy as policy_mod
from yibao.errors import UserError
from yibao.jurisdiction import load_jurisdiction
from yibao.sources import Source, load_sources
from yibao.synth import defects, feeds, idnumbers, names, payments, population, rosters, truth, writers
from yibao.synth.defects import DefectRates

# Relative file name per feed ({unit}: county + department, {ym}: 2023年11月, {ymd}: 20231130) and encoding.
FILES = {
    "gongan_huji": ("公安/户籍人口_{ymd}.csv", "utf-8"),
    "gongan_juzhu": ("公安/居住证_{ymd}.csv", "gb18030"),
    "minzheng_zongmingdan": ("民政/{unit}{ym}困难人口总名单.xlsx", None),
    "minzheng_tiaozheng": ("民政/{unit}{ym}困难人口动态调整名单.xlsx", None),
    "xiangcun_zongmingdan": ("乡村振兴/{unit}{ym}困难人口总名单.xlsx", None),
    "canlian": ("残联/{unit}残疾人名单_{ymd}.csv", "gb18030"),
    "weijian": ("卫健/{unit}计生优待家庭人员名单_{ymd}.csv", "utf-8-sig"),
    "tuiyi": ("退役军人/{unit}优抚对象名单_{ymd}.csv", "utf-8"),
    "shuiwu_jiaofei": ("税务/缴费记录_{ymd}.csv", "utf-8"),
    "yibao_zhigong": ("医保/职工医保在保人员_{ymd}.csv", "utf-8"),
    "yibao_yidi": ("医保/异地参保人员_{ymd}.csv", "utf-8"),
}
ENCODING_OF = {feed: enc for feed, (_, enc) in FILES.items()}
SEX = np.array(["女", "男"])


@dataclass
class SynthSummary:
    out: Path
    rules_id: str
    people: int
    seed: int
    as_of: dt.date
    files: dict[str, int] = field(default_factory=dict)  # relative path → data rows
    defects: dict[str, int] = field(default_factory=dict)  # defect code → rows
    seconds: float = 0.0


def stream(seed: int, stage: str) -> np.random.Generator:
    """The random stream of one stage, derived from the seed and the stage name."""
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(zlib.crc32(stage.encode()),)))
    )


def file_name(source: Source, unit: str, as_of: dt.date) -> str:
    """The relative path a feed's drop is written to; it always matches the feed's ``files`` glob."""
    rel = FILES[source.id][0].format(
        unit=unit, ym=f"{as_of.year}年{as_of.month}月", ymd=as_of.strftime("%Y%m%d")
    )
    if not PurePosixPath(rel).match(source.files):
        raise UserError(f"生成的文件名 {rel} 与数据源 {source.id} 的 files 模式 {source.files} 不符")
    return rel


def existing_drops(out: Path) -> list[Path]:
    """Files under ``out`` that a drop or the ground truth would overwrite or be confused with."""
    if not out.is_dir():
        return []
    found = {p for s in load_sources().values() for p in out.glob(s.files)}
    found |= set((out / truth.TRUTH_DIR).glob("*"))
    return sorted(found)


def generate(
    rules_id: str,
    people: int,
    seed: int,
    out: Path,
    as_of: dt.date | None = None,
    rates: DefectRates | None = None,
) -> SynthSummary:
    """Generate a county into ``out`` (earlier drops there are replaced) and return what was written."""
    if people < 100:
        raise UserError("人数至少为 100")
    if seed < 0:
        raise UserError("随机种子应为非负整数")
    started = last = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(stage: str) -> None:
        nonlocal last
        now = time.perf_counter()
        timings[stage] = round(now - last, 3)
        last = now

    out = Path(out)
    juris = load_jurisdiction(rules_id)
    pol = policy_mod.load(rules_id)
    as_of = as_of or pol.collection_window[1]
    rates = rates or DefectRates()
    for stale in existing_drops(out):
        stale.unlink()

    persons = population.build(juris, people, as_of, stream(seed, "population"))
    lap("population")
    held = rosters.assign(persons, as_of, stream(seed, "rosters"))
    frames, log, unregistered = defects.inject(
        feeds.roster_frames(persons, held), persons, rates, stream(seed, "defects")
    )
    in_register = persons["in_register"].to_numpy().copy()
    in_register[unregistered] = False
    persons["in_register"] = in_register
    first_listed = [frames["canlian"]["pid"].to_numpy()[:1], np.flatnonzero(persons["residence_permit"])[:1]]
    _ensure_non_gbk(persons, [int(p) for pids in first_listed for p in pids])
    lap("rosters_defects")

    members = held.memberships
    grade = pd.array(held.grade, dtype="Int64")
    grade[held.grade == 0] = pd.NA
    decisions = policy_mod.decide(
        pol,
        pd.DataFrame({"key": persons["key"], "birth_date": persons["birth_date"], "disability_grade": grade}),
        pd.DataFrame(
            {"key": persons["key"].to_numpy()[members["pid"].to_numpy()], "status": members["status"]}
        ),
        as_of=as_of,
    )
    personal_fen = decisions["personal_fen"].to_numpy(dtype=np.int64)
    assisted = np.zeros(len(persons), bool)
    assisted[members["pid"].to_numpy()] = True
    pay = payments.generate(persons, assisted, personal_fen, pol.collection_window, stream(seed, "payments"))
    pay = pay[pay["paid_date"] <= np.datetime64(as_of, "D")].reset_index(drop=True)
    lap("policy_payments")

    sources = load_sources()
    unit_of = {sid: juris.name + s.department for sid, s in sources.items()}
    files: dict[str, int] = {}
    file_of: dict[str, str] = {}
    insured = _insured_columns(persons, as_of, stream(seed, "insurance"))
    for sid, source in sources.items():
        rel = file_name(source, unit_of[sid], as_of)
        file_of[sid] = rel
        if source.kind in ("roster", "roster_changes"):
            cols = _roster_columns(persons, frames[sid])
        elif source.kind == "register":
            cols = _register_columns(persons, as_of)
        elif source.kind == "residence":
            cols = _residence_columns(persons)
        elif source.kind == "payments":
            cols = _payment_columns(persons, pay, pol.year)
        else:
            cols = insured[source.kind]
        n = len(next(iter(cols.values())))
        table = {source.header(c): cols.get(c, np.full(n, "", dtype=object)) for c in source.columns}
        if source.format == "xlsx":
            title = [
                f"{unit_of[sid]} {as_of.year}年{as_of.month}月 {source.title}",
                f"单位名称（盖章）：{unit_of[sid]}",
                f"{as_of.year}年{as_of.month}月{as_of.day}日",
            ]
            files[rel] = writers.write_xlsx(out / rel, title, table, as_of)
        else:
            files[rel] = writers.write_csv(out / rel, table, ENCODING_OF[sid])
    lap("write_drops")

    defect_table = truth.defect_table(log, frames, file_of, persons)
    truth.write(
        out,
        persons,
        held,
        personal_fen,
        pay,
        defect_table,
        summary={
            "rules_id": rules_id,
            "people": people,
            "seed": seed,
            "as_of": as_of.isoformat(),
            "collection_window": [d.isoformat() for d in pol.collection_window],
            "campaign_year": pol.year,
            "rates": dataclasses.asdict(rates),
            "files": files,
            "feeds": {sid: files[rel] for sid, rel in file_of.items()},
            "timings": timings,
            "assumptions": {
                "paid_amount": "缴费金额为 yibao.policy.decide 给出的个人缴费部分（全额资助者为 0.00，渠道为特殊缴费单据）",
                "statuses": "各部门名单（未注入缺陷时）所列的标准身份；死亡或迁出者为其生前/迁出前所持身份",
                "dup_across": "DUP_ACROSS 为自然重叠（同一人出现在多个部门名单），不随 --defect-scale 变化",
            },
        },
    )
    counts = defect_table["defect"].value_counts()
    return SynthSummary(
        out=out,
        rules_id=rules_id,
        people=people,
        seed=seed,
        as_of=as_of,
        files=files,
        defects={k: int(counts.get(k, 0)) for k in defects.EXPECT},
        seconds=round(time.perf_counter() - started, 2),
    )


def _ensure_non_gbk(persons: pd.DataFrame, pids: list[int]) -> None:
    """Give the first person of each GB18030 drop a given name ending in a character GBK lacks, so a
    reader that decodes those files as GBK fails on every generated county, however small."""
    for pid in pids:
        name = persons.at[pid, "name"]
        if not any(c in names.NON_GBK_CHARS for c in name):
            persons.at[pid, "name"] = name[:-1] + names.NON_GBK_CHARS[0]


def _roster_columns(persons: pd.DataFrame, frame: pd.DataFrame) -> dict[str, object]:
    pid = frame["pid"].to_numpy()
    cols: dict[str, object] = {
        "seq": np.arange(1, len(frame) + 1),
        "town": persons["town"].to_numpy()[pid].astype(object),
        "village": persons["village"].to_numpy()[pid],
        "name": persons["name"].to_numpy()[pid],
        "id_number": frame["id_text"].to_numpy(dtype=object),
        "category": frame["category"].to_numpy(dtype=object),
    }
    for extra in ("disability_grade", "disability_type", "change_type"):
        if extra in frame:
            cols[extra] = frame[extra].to_numpy(dtype=object)
    if "change_date" in frame:
        cols["change_date"] = writers.date_text(frame["change_date"].to_numpy()).to_numpy(
            zero_copy_only=False
        )
    return cols


def _register_columns(persons: pd.DataFrame, as_of: dt.date) -> dict[str, object]:
    p = persons[persons["in_register"].to_numpy()]
    dead, moved = ~p["alive"].to_numpy(), p["moved_out"].to_numpy()
    birth = p["birth_date"].to_numpy().astype("datetime64[D]")
    newborn = birth > np.datetime64(as_of, "D") - np.timedelta64(365, "D")
    status_date = np.where(
        dead,
        p["death_date"].to_numpy(),
        np.where(moved, p["move_date"].to_numpy(), np.where(newborn, birth, np.datetime64("NaT"))),
    )
    return {
        "id_number": p["id_number"],
        "name": p["name"],
        "sex": SEX[p["male"].to_numpy().astype(int)],
        "birth_date": writers.date_text(birth),
        "household_id": pc.cast(pa.array(p["household_id"].to_numpy()), pa.string()),
        "relation": p["relation"],
        "town": p["town"],
        "village": p["village"],
        "register_status": np.where(dead, "死亡", np.where(moved, "迁出", "正常")),
        "status_date": writers.date_text(status_date),
    }


def _residence_columns(persons: pd.DataFrame) -> dict[str, object]:
    p = persons[persons["residence_permit"].to_numpy()]
    return {
        "id_number": p["id_number"],
        "name": p["name"],
        "town": p["town"],
        "village": p["village"],
        "permit_valid_until": writers.date_text(p["permit_valid_until"].to_numpy()),
    }


def _payment_columns(persons: pd.DataFrame, pay: pd.DataFrame, year: int) -> dict[str, object]:
    pid = pay["pid"].to_numpy()
    fen = pay["paid_fen"].to_numpy()
    yuan = pc.cast(pa.array(fen // 100), pa.string())
    cents = pc.utf8_lpad(pc.cast(pa.array(fen % 100), pa.string()), 2, "0")
    return {
        "id_number": persons["id_number"].to_numpy()[pid],
        "name": persons["name"].to_numpy()[pid],
        "paid_year": np.full(len(pid), str(year), dtype=object),
        "paid_amount": pc.binary_join_element_wise(yuan, cents, "."),
        "paid_date": writers.date_text(pay["paid_date"].to_numpy()),
        "channel": pay["channel"].to_numpy(),
        "town": persons["town"].to_numpy()[pid].astype(object),
    }


def _insured_columns(persons: pd.DataFrame, as_of: dt.date, rng: np.random.Generator) -> dict[str, dict]:
    """The 医保 drops: employee-insured people and people insured outside the county, with start dates."""
    n = len(persons)
    adult_at = persons["birth_date"].to_numpy().astype("datetime64[D]") + np.timedelta64(18 * 365, "D")
    since = np.maximum(
        np.datetime64(as_of, "D") - rng.integers(30, 20 * 365, n).astype("timedelta64[D]"), adult_at
    )
    since = np.minimum(since, np.datetime64(as_of, "D"))
    places = np.array(
        idnumbers.current_county_names(), dtype=object
    )
    place = places[rng.integers(0, len(places), n)]
    out = {}
    for kind, column in (
        ("employee_insured", "employee_insured"),
        ("insured_elsewhere", "insured_elsewhere"),
    ):
        rows = persons[column].to_numpy()
        out[kind] = {
            "id_number": persons["id_number"].to_numpy()[rows],
            "name": persons["name"].to_numpy()[rows],
            "insured_since": writers.date_text(since[rows]),
            "insured_place": place[rows],
        }
    return out
