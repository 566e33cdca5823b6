"""ID-number benchmark: check 1M IDs beside python-stdnum; suggest corrections for 50k typos vs a 1M register.

    .venv/bin/python bench/bench_ids.py [--people 1000000] [--bad 50000] [--stdnum-sample 100000] [--seed 7]

Targets (issue 3), one core, inputs already in memory, best of 3:
- ``yibao.ids.check`` (normalize + validate + derive) over 1,000,000 IDs with ~2% dirty values ≤ 0.5 s,
  reported beside python-stdnum's per-row ``cn.ric.is_valid`` on the same IDs (timed on a sample and
  extrapolated, because per-row calls take tens of seconds per million);
- ``yibao.ids.suggest_corrections`` for 50,000 bad roster IDs against a 1,000,000-person register ≤ 5 s,
  with precision and recall measured against known truth.

Target (issue 10): ``yibao ids check`` on a text file of the same 1,000,000 IDs, the whole process (Python
start, imports, reading, checking, writing to /dev/null) with ``--json`` and with the table ≤ 3 s and
≤ 1 GB peak resident memory (best of ``--repeat`` runs, each a fresh process).

The population comes from the project's generator (``yibao.synth.population``: 滕州市, real GB/T 2260
codes including retired ones for elders, names with realistic collisions, towns and villages).
Writes bench/results/ids.json.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from stdnum.cn import ric as stdnum_ric

sys.path.insert(0, str(Path(__file__).resolve().parent))
from memory import peak_rss

from yibao.cli import main as cli_main
from yibao.ids import check, from_key, suggest_corrections, to_key
from yibao.ids.suggest import neighbours
from yibao.jurisdiction import load_jurisdiction
from yibao.synth import population

RESULTS = Path(__file__).resolve().parent / "results" / "ids.json"
AS_OF = dt.date(2023, 11, 1)
CHECK_TARGET = 0.5
SUGGEST_TARGET = 5.0
CLI_TARGET_SECONDS = 3.0
CLI_TARGET_MB = 1024
GENERATOR_ID_DEFECTS = (
    "TYPO_ID", "BAD_CHECK", "NOT_IN_REGISTER", "EXCEL_DECIMAL", "EXCEL_SCIENTIFIC", "LEGACY_15", "LOWER_X",
    "FULLWIDTH", "TRUNCATED",
)  # fmt: skip
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def stdnum_is_valid(value: str) -> bool:
    """python-stdnum's verdict; its ``get_birth_place`` raises KeyError for codes it lists without a county
    (e.g. a prefecture's own code), which counts as a rejection."""
    try:
        return stdnum_ric.is_valid(value)
    except KeyError:
        return False


def best_of(repeat: int, fn):
    runs, result = [], None
    for _ in range(repeat):
        with peak_rss() as mem:
            started = time.perf_counter()
            result = fn()
            runs.append(time.perf_counter() - started)
    return min(runs), runs, mem["peak"], result


def dirty_ids(ids: pd.Series, rng: np.random.Generator) -> tuple[pd.Series, dict[str, int]]:
    """~2% values as departments really send them: x, spaces, full width, 15-digit, Excel damage, typos."""
    values = ids.astype(object).to_numpy().copy()
    n = len(values)
    kinds = {
        "lower_x_or_spaces": 0.008, "full_width": 0.003, "legacy_15": 0.004, "excel_scientific": 0.001,
        "typo": 0.004,
    }  # fmt: skip
    picked = rng.choice(n, size=int(n * sum(kinds.values())), replace=False)
    counts, start = {}, 0
    for kind, share in kinds.items():
        rows = picked[start : start + int(n * share)]
        start += len(rows)
        counts[kind] = len(rows)
        for row in rows:
            v = values[row]
            if kind == "lower_x_or_spaces":
                values[row] = f" {v[:6]} {v[6:14]} {v[14:].lower()}"
            elif kind == "full_width":
                values[row] = v.translate(FULL_WIDTH)
            elif kind == "legacy_15":
                values[row] = v[:6] + v[8:17] if v[6:8] == "19" else v
            elif kind == "excel_scientific":
                values[row] = f"{float(v[:17]):.5E}"
            else:
                i = int(rng.integers(0, 17))
                values[row] = v[:i] + str((int(v[i]) + 1) % 10) + v[i + 1 :]
    return pd.Series(values, dtype="str"), counts


def typo(value: str, rng: np.random.Generator) -> tuple[str, str]:
    """One substituted character (any of 18) or one swap of different neighbours; never a no-op."""
    if rng.random() < 0.6:
        i = int(rng.integers(0, 18))
        choices = [c for c in ("0123456789X" if i == 17 else "0123456789") if c != value[i]]
        return value[:i] + choices[int(rng.integers(0, len(choices)))] + value[i + 1 :], "substitution"
    swaps = [i for i in range(17) if value[i] != value[i + 1] and not (i == 16 and value[17] == "X")]
    i = swaps[int(rng.integers(0, len(swaps)))]
    return value[:i] + value[i + 1] + value[i] + value[i + 2 :], "transposition"


def suggestion_set(register: pd.DataFrame, bad_rows: int, rng: np.random.Generator):
    """(bad roster, register with trap people added, truth per bad row or None, kind per row)."""
    n_typo, n_trap, n_other_name, n_garbage = (int(bad_rows * s) for s in (0.6, 0.1, 0.1, 0.2))
    n_typo += bad_rows - n_typo - n_trap - n_other_name - n_garbage
    people = register.iloc[rng.choice(len(register), n_typo + n_trap + n_other_name, replace=False)]
    rows, truth, kinds, extra = [], [], [], []
    for i, person in enumerate(people.itertuples(index=False)):
        written, rule = typo(person.id_number, rng)
        village = person.village if rng.random() < 0.5 else None
        if i < n_typo:
            rows.append((written, person.name, person.town, village))
            truth.append(person.id_number)
            kinds.append(rule)
        elif i < n_typo + n_trap:
            # A same-name neighbour in the same village: the typo fits two people, so no suggestion is right.
            _, found, _ = neighbours(to_key(pd.Series([written])))
            others = [k for k in from_key(found).tolist() if k != person.id_number]
            if not others:
                continue
            extra.append((others[0], person.name, person.town, person.village))
            rows.append((written, person.name, person.town, village))
            truth.append(None)
            kinds.append("same_name_trap")
        else:
            rows.append(
                (written, register["name"].iloc[int(rng.integers(0, len(register)))], person.town, None)
            )
            truth.append(None)
            kinds.append("other_name")
    names = register["name"].to_numpy()
    for _ in range(bad_rows - len(rows)):
        garbage = "".join(rng.choice(list("0123456789"), 18))
        rows.append((garbage, names[int(rng.integers(0, len(names)))], None, None))
        truth.append(None)
        kinds.append("garbage")
    columns = ["id_number", "name", "town", "village"]
    bad = pd.DataFrame(rows, columns=columns)
    extended = pd.concat([register[columns], pd.DataFrame(extra, columns=columns)], ignore_index=True)
    return bad, extended, pd.Series(truth, dtype="string"), pd.Series(kinds)


def _hwm_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return next((int(line.split()[1]) for line in fh if line.startswith("VmHWM:")), 0)
    except (FileNotFoundError, ProcessLookupError):
        return 0


def cli_runs(ids: pd.Series, repeat: int) -> dict:
    """``yibao ids check FILE [--json] > /dev/null`` as separate processes: wall time and peak RSS."""
    out = {}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "ids.txt")
        path.write_text("\n".join(ids.tolist()) + "\n", encoding="utf-8")
        yibao = Path(sys.executable).with_name("yibao")
        for mode, extra in (("json", ["--json"]), ("table", [])):
            runs, cpus, peaks = [], [], []
            for _ in range(repeat):
                argv = [str(yibao), "ids", "check", str(path), "--as-of", AS_OF.isoformat(), *extra]
                started = time.perf_counter()
                with open(os.devnull, "wb") as sink:
                    proc = subprocess.Popen(argv, stdout=sink, stderr=subprocess.DEVNULL)
                    peak = 0
                    while True:  # VmHWM of the exec'd process (ru_maxrss would include this big parent)
                        peak = max(peak, _hwm_kib(proc.pid))
                        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                        if pid:
                            break
                        time.sleep(0.005)
                proc.returncode = os.waitstatus_to_exitcode(status)
                runs.append(time.perf_counter() - started)
                cpus.append(usage.ru_utime + usage.ru_stime)
                peaks.append(peak / 1024)
                if proc.returncode not in (0, 1):
                    raise RuntimeError(f"yibao ids check exited {proc.returncode}")
            best = min(runs)
            out[mode] = {
                "ids": len(ids),
                "best_seconds": round(best, 3),
                "runs_seconds": [round(r, 3) for r in runs],
                "cpu_seconds": [round(c, 3) for c in cpus],
                "peak_rss_mb": round(max(peaks)),
                "meets_target": best <= CLI_TARGET_SECONDS and max(peaks) <= CLI_TARGET_MB,
            }
    return out


def generator_truth(people: int, seed: int) -> dict:
    """Precision/recall on the project generator's own ground truth (``yibao synth``, defects ×10).

    Every ID defect it injects becomes a bad roster row with the person's name, town and village; only
    TYPO_ID and BAD_CHECK rows have a right answer (the true ID); all others must get no suggestion.
    """
    with tempfile.TemporaryDirectory() as out, contextlib.redirect_stdout(io.StringIO()):
        argv = ["synth", "--county", "tengzhou-2024", "--people", str(people), "--seed", str(seed)]
        cli_main([*argv, "--out", out, "--defect-scale", "10"])
        defects = pd.read_parquet(Path(out, "_truth", "defects.parquet"))
        persons = pd.read_parquet(Path(out, "_truth", "persons.parquet"))
    id_defects = defects[defects["defect"].isin(GENERATOR_ID_DEFECTS)].reset_index(drop=True)
    who = persons.set_index("key").loc[id_defects["key"]].reset_index()
    bad = pd.DataFrame({"id_number": id_defects["as_written"], "name": who["name"], "town": who["town"],
                        "village": who["village"]})  # fmt: skip
    truth = who["id_number"].where(id_defects["defect"].isin(["TYPO_ID", "BAD_CHECK"]).to_numpy(), None)
    register = persons.loc[persons["in_register"], ["id_number", "name", "town", "village"]]
    result = suggest_corrections(bad, register)
    findable = (
        truth.notna() & who["in_register"].to_numpy()
    )  # people absent from the register cannot be found
    made = result["suggested_id"].notna()
    correct = made & (result["suggested_id"] == truth.astype("string")).fillna(False)
    return {
        "people": people,
        "register_rows": len(register),
        "bad_rows": len(bad),
        "rows_with_answer": int(truth.notna().sum()),
        "suggested": int(made.sum()),
        "correct": int(correct.sum()),
        "precision": round(float(correct.sum() / max(made.sum(), 1)), 4),
        "recall": round(float(correct.sum() / max(truth.notna().sum(), 1)), 4),
        "rows_with_answer_in_register": int(findable.sum()),
        "recall_of_register_people": round(float(correct.sum() / max(findable.sum(), 1)), 4),
        "by_defect": {
            d: {
                "rows": int((id_defects["defect"] == d).sum()),
                "suggested": int(made[id_defects["defect"] == d].sum()),
                "correct": int(correct[id_defects["defect"] == d].sum()),
            }
            for d in sorted(id_defects["defect"].unique())
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--bad", type=int, default=50_000)
    parser.add_argument("--stdnum-sample", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--generator-people", type=int, default=300_000, help="0 skips the generator check")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--note", default="", help="recorded with the results (e.g. how busy the machine was)")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    people = population.build(load_jurisdiction("tengzhou-2024"), args.people, AS_OF, rng)
    ids, dirt = dirty_ids(people["id_number"], rng)

    check_s, check_runs, check_peak, frame = best_of(args.repeat, lambda: check(ids, as_of=AS_OF))
    sample = ids.sample(n=min(args.stdnum_sample, len(ids)), random_state=args.seed).tolist()
    started = time.perf_counter()
    stdnum_valid = [stdnum_is_valid(v) for v in sample]
    stdnum_sample_s = time.perf_counter() - started
    stdnum_s = stdnum_sample_s * len(ids) / len(sample)
    ours_sample = check(pd.Series(sample, dtype="str"), as_of=AS_OF)["valid"].to_numpy()
    stdnum_valid = np.array(stdnum_valid)

    register = people  # all generated people, so the register has the target's 1,000,000 rows
    bad, extended, truth, kinds = suggestion_set(register, args.bad, rng)
    suggest_s, suggest_runs, suggest_peak, result = best_of(
        args.repeat, lambda: suggest_corrections(bad, extended)
    )
    made = result["suggested_id"].notna()
    correct = made & (result["suggested_id"] == truth).fillna(False)
    has_truth = truth.notna()
    by_kind = {
        kind: {
            "rows": int((kinds == kind).sum()),
            "suggested": int(made[kinds == kind].sum()),
            "correct": int(correct[kinds == kind].sum()),
        }
        for kind in kinds.unique()
    }

    generated = generator_truth(args.generator_people, args.seed) if args.generator_people else None
    cli = cli_runs(ids, args.repeat)
    out = {
        "benchmark": "ids",
        "note": args.note,
        "as_of": AS_OF.isoformat(),
        "machine": {
            "python": platform.python_version(),
            "pandas": pd.__version__,
            "numpy": np.__version__,
            "cpus": os.cpu_count(),
        },
        "check": {
            "ids": len(ids),
            "dirty_values": dirt,
            "valid": int(frame["valid"].sum()),
            "best_seconds": round(check_s, 3),
            "runs_seconds": [round(r, 3) for r in check_runs],
            "peak_rss_mb": round(check_peak / 2**20),
            "target_seconds": CHECK_TARGET,
            "meets_target": check_s <= CHECK_TARGET,
        },
        "stdnum_is_valid": {
            "sample": len(sample),
            "sample_seconds": round(stdnum_sample_s, 3),
            "extrapolated_seconds_per_million": round(stdnum_s * 1_000_000 / len(ids), 2),
            "speedup": round(stdnum_s / check_s, 1),
            "rejects_ids_we_accept": round(float((ours_sample & ~stdnum_valid).mean()), 4),
            "accepts_ids_we_reject": round(float((~ours_sample & stdnum_valid).mean()), 4),
        },
        "suggest": {
            "bad_rows": len(bad),
            "register_rows": len(extended),
            "best_seconds": round(suggest_s, 3),
            "runs_seconds": [round(r, 3) for r in suggest_runs],
            "peak_rss_mb": round(suggest_peak / 2**20),
            "target_seconds": SUGGEST_TARGET,
            "meets_target": suggest_s <= SUGGEST_TARGET,
            "suggested": int(made.sum()),
            "correct": int(correct.sum()),
            "precision": round(float(correct.sum() / max(made.sum(), 1)), 4),
            "recall": round(float(correct.sum() / max(has_truth.sum(), 1)), 4),
            "by_kind": by_kind,
        },
        "suggest_on_generator_truth": generated,
        "cli": {"target_seconds": CLI_TARGET_SECONDS, "target_peak_mb": CLI_TARGET_MB, **cli},
    }
    c, s, q = out["check"], out["stdnum_is_valid"], out["suggest"]
    print(f"{'step':<34}{'rows':>10}{'best s':>9}{'target':>8}  ok")
    print(
        f"{'ids.check (normalize+validate)':<34}{c['ids']:>10}{c['best_seconds']:>9.3f}{CHECK_TARGET:>8}  "
        f"{'yes' if c['meets_target'] else 'NO'}"
    )
    print(
        f"{'stdnum is_valid (extrapolated)':<34}{c['ids']:>10}{stdnum_s:>9.2f}{'':>8}  ratio {s['speedup']}x"
    )
    print(
        f"{'ids.suggest_corrections':<34}{q['bad_rows']:>10}{q['best_seconds']:>9.3f}{SUGGEST_TARGET:>8}  "
        f"{'yes' if q['meets_target'] else 'NO'}"
    )
    for mode, r in cli.items():
        print(
            f"{'yibao ids check (' + mode + ', process)':<34}{r['ids']:>10}{r['best_seconds']:>9.3f}"
            f"{CLI_TARGET_SECONDS:>8}  {'yes' if r['meets_target'] else 'NO'}  peak {r['peak_rss_mb']} MB, "
            f"cpu {min(r['cpu_seconds'])} s"
        )
    print(
        f"stdnum rejects {s['rejects_ids_we_accept']:.1%} of IDs we accept "
        f"(and accepts {s['accepts_ids_we_reject']:.1%} we reject)"
    )
    print(
        f"suggestions: precision {q['precision']:.4f}, recall {q['recall']:.4f} "
        f"({q['correct']} correct of {q['suggested']} made; {int(has_truth.sum())} rows with a known answer)"
    )
    for kind, k in by_kind.items():
        print(f"  {kind:<16}{k['rows']:>7} rows {k['suggested']:>7} suggested {k['correct']:>7} correct")
    if generated:
        print(
            f"on yibao synth truth ({generated['people']} people, {generated['bad_rows']} ID defects): "
            f"precision {generated['precision']:.4f}, recall {generated['recall']:.4f} "
            f"({generated['correct']} correct of {generated['suggested']} made; "
            f"{generated['rows_with_answer']} TYPO_ID/BAD_CHECK rows, "
            f"{generated['rows_with_answer_in_register']} of them people in the register: "
            f"recall {generated['recall_of_register_people']:.4f})"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
