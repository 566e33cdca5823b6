"""Failures carrying personal data (a database integrity error with the row's ID and name, a ValueError and
a pandas KeyError quoting cells, a chained traceback) go through the CLI, a stage function and the logs:
no full ID number and no name comes out. Database errors run on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import subprocess
import sys
import traceback

import pandas as pd
import pytest
import sqlalchemy as sa

from yibao import bills as bills_mod
from yibao import pipeline, storage
from yibao.cli import main as cli_main
from yibao.redaction import MaskedError, describe
from yibao.settings import PROJECT_ROOT

IDS = ("140823198001011234", "14082319800101123X", "140823800101123")  # new, new with X, old 15-digit
NAMES = ("张三丰", "李四", "买买提·艾力")


def assert_clean(text: str) -> None:
    for secret in (*IDS, *NAMES):
        assert secret not in text, f"{secret} leaked:\n{text}"


def integrity_error(settings) -> None:
    """A NOT NULL violation on a bill carrying an ID and a name (PostgreSQL quotes the failing row)."""
    engine = storage.engine(settings.warehouse_url)
    storage.init_db(engine)
    with engine.begin() as conn:
        conn.execute(sa.insert(storage.bills), {
            "bill_no": "B1", "county": "wenxi-2024", "year": 2024, "person_key": 1, "id_number": IDS[0],
            "name": NAMES[0], "town": NAMES[1], "category": NAMES[2], "subsidy_fen": None, "personal_fen": 0,
            "funds": "{}", "content_hash": "x", "version": 1, "status": "new", "run_id": "r"})


def bulk_error(settings) -> None:
    """The same violation through the bulk writer (PostgreSQL's COPY quotes the failing line)."""
    engine = storage.engine(settings.warehouse_url)
    storage.init_db(engine)
    with engine.begin() as conn:
        storage.insert_frame(conn, storage.bills, pd.DataFrame({
            "bill_no": ["B1"], "county": ["wenxi-2024"], "year": [2024], "person_key": [1], "id_number": [IDS[0]],
            "name": [NAMES[0]], "town": [NAMES[1]], "category": [NAMES[2]], "subsidy_fen": [None],
            "personal_fen": [0], "funds": ["{}"], "content_hash": ["x"], "version": [1], "status": ["new"],
            "run_id": ["r"]}))


def cell_error() -> None:
    try:
        pd.DataFrame({"id_number": [IDS[1]]}).set_index("id_number").loc[IDS[2]]
    except KeyError:
        int(f"{NAMES[0]} {IDS[0]}")  # raised while handling the KeyError: a chained traceback


@pytest.fixture
def failures(settings):
    return {"integrity": lambda: integrity_error(settings), "bulk": lambda: bulk_error(settings), "cell": cell_error}


@pytest.mark.parametrize("kind", ["integrity", "bulk", "cell"])
def test_the_cli_prints_a_masked_failure(failures, kind, monkeypatch, capsys, caplog):
    def run(settings, **_):
        logging.getLogger("yibao.pipeline").error("失败的行 %s", IDS[0])  # a careless log call
        failures[kind]()

    monkeypatch.setattr(pipeline, "run", run)
    assert cli_main(["pipeline", "run", "--county", "wenxi-2024"]) == 1
    out, err = capsys.readouterr()
    assert "Traceback (most recent call last)" in err and "运行中出现未预料的错误" in err
    assert re.search({"integrity": "IntegrityError", "bulk": "(?i)not.null", "cell": "ValueError"}[kind], err)
    assert "140823********1234" in err if kind == "cell" else "bills" in err  # masked, yet still useful
    assert_clean(out + err + caplog.text)
    assert_clean("".join(str(r.msg) + str(r.args) + str(r.exc_info) for r in caplog.records))


@pytest.mark.parametrize("kind", ["integrity", "bulk", "cell"])
def test_a_stage_raises_a_masked_error_and_the_logs_are_masked(settings, failures, kind, monkeypatch, caplog):
    def build_bills(*args, **kwargs):
        failures[kind]()

    monkeypatch.setattr(bills_mod, "build_bills", build_bills)
    pipeline.init(settings)
    storage.publish_frame(pd.DataFrame({"key": [1], "subsidy_fen": [1]}), settings.staging / "decisions.arrow")
    storage.publish_frame(pd.DataFrame({"key": [1], "id_number": [IDS[1]], "name": [NAMES[1]], "town": ["城关镇"]}),
                          settings.staging / "persons.arrow")
    with pytest.raises(MaskedError) as raised:
        pipeline.make_bills(settings, run_id="r")
    exc = raised.value
    assert exc.__context__ is None and exc.__cause__ is None  # the unmasked original is not carried on
    try:
        raise exc
    except MaskedError:
        logging.getLogger("yibao.pipeline").exception("阶段失败：%s", exc)
    rendered = "".join(traceback.format_exception(exc)) + describe(exc) + caplog.text
    assert re.search({"integrity": "IntegrityError", "bulk": "(?i)not.null",
                      "cell": r"ValueError: invalid literal for int\(\)"}[kind], rendered)
    assert_clean(rendered)
    assert_clean("".join(str(r.msg) + str(r.args) + str(r.exc_info) + str(r.exc_text) for r in caplog.records))


def test_a_foreign_exception_in_a_log_argument_or_exc_info_is_masked(caplog):
    try:
        int(f"{NAMES[2]}，{IDS[1]}")
    except ValueError as exc:
        logging.getLogger("sqlalchemy.engine").warning("outside yibao: %s", exc)
        logging.getLogger("sqlalchemy.engine").exception("outside yibao")
    assert "买****力" in caplog.text and "140823********123X" in caplog.text
    assert_clean(caplog.text)


def test_any_process_that_imports_yibao_masks_its_log_records():
    """As in an Airflow task process: yibao imported, handlers configured by someone else."""
    code = ("import logging, yibao; logging.basicConfig(); "
            f"logging.getLogger('airflow.task').warning('row %s of %s', {IDS[0]!r}, ValueError({NAMES[0]!r}))")
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT / "include")}
    err = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stderr
    assert "row 140823********1234 of 张*丰" in err
    assert_clean(err)


def test_our_own_chinese_messages_stay_readable():
    err = RuntimeError("资助金额与各资金来源合计不一致")
    assert str(MaskedError(describe(err))).endswith("资助金额与各资金来源合计不一致")
    assert dt.date(2023, 12, 25).isoformat() in describe(ValueError("2023-12-25"))
