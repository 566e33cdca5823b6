"""Same seed, same bytes; another seed, other people."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from yibao.synth import DefectRates, generate


def files(out: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != "summary.json"
    }


def summary_without_timings(out: Path) -> dict:
    data = json.loads((out / "_truth" / "summary.json").read_text(encoding="utf-8"))
    data.pop("timings")
    return data


@pytest.fixture(scope="module")
def twice(tmp_path_factory) -> tuple[Path, Path, Path]:
    a, b, c = (tmp_path_factory.mktemp(x) for x in "abc")
    generate("tengzhou-2024", 3_000, seed=42, out=a)
    generate("tengzhou-2024", 3_000, seed=42, out=b)
    generate("tengzhou-2024", 3_000, seed=43, out=c)
    return a, b, c


def test_same_seed_gives_byte_identical_files(twice):
    a, b, _ = twice
    fa, fb = files(a), files(b)
    assert fa.keys() == fb.keys() and len(fa) == 13  # 11 drops + persons + defects
    for name in fa:
        assert fa[name] == fb[name], name
    assert summary_without_timings(a) == summary_without_timings(b)


def test_another_seed_gives_other_people(twice):
    a, _, c = twice
    fa, fc = files(a), files(c)
    register = next(n for n in fa if n.startswith("公安/户籍人口"))
    assert fa[register] != fc[register]
    roster = next(n for n in fa if n.endswith("总名单.xlsx") and n.startswith("民政"))
    assert fa[roster] != fc[roster]


def test_rerun_into_the_same_folder_replaces_the_drops(tmp_path):
    generate("juye-2024", 1_000, seed=1, out=tmp_path)
    generate("juye-2024", 1_000, seed=1, out=tmp_path, as_of=__import__("datetime").date(2023, 11, 30))
    registers = list(tmp_path.glob("公安/户籍人口*.csv"))
    assert [p.name for p in registers] == ["户籍人口_20231130.csv"]


def test_defect_scale_zero_injects_nothing_but_the_natural_overlap(tmp_path):
    generate("dingtao-2024", 4_000, seed=3, out=tmp_path, rates=DefectRates().scaled(0))
    summary = json.loads((tmp_path / "_truth" / "summary.json").read_text(encoding="utf-8"))
    assert set(summary["defects"]) == {"DUP_ACROSS"}
    assert summary["defects"]["DUP_ACROSS"] > 0
