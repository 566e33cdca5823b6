"""Shared fixtures: every warehouse test runs on SQLite and on the PostgreSQL of this machine.

PostgreSQL gets a fresh database per test session (per xdist worker), dropped at the end. Set
``YIBAO_TEST_PG_ADMIN`` to point elsewhere; an unreachable PostgreSQL fails the run (it is not skipped).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from yibao import storage
from yibao.settings import Settings

PG_ADMIN = os.environ.get("YIBAO_TEST_PG_ADMIN", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def postgres_url():
    name = f"yibao_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {PG_ADMIN} is not reachable: {exc.orig}")
    url = sa.engine.make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_urls(request, tmp_path) -> tuple[str, str]:
    """(warehouse URL, tax exchange URL) on the backend named by the parameter."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'warehouse.db'}", f"sqlite:///{tmp_path / 'exchange.db'}"
        return
    url = request.getfixturevalue("postgres_url")
    yield url, url
    engine = sa.create_engine(url)
    storage.metadata.drop_all(engine)
    storage.exchange_metadata.drop_all(engine)
    with engine.begin() as conn:  # the next test's database starts without schema versions too
        for table in ("alembic_version", "alembic_version_exchange"):
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
    engine.dispose()


@pytest.fixture
def settings(db_urls, tmp_path) -> Settings:
    """Settings for one county in a temporary home, on the parametrized backend."""
    home = tmp_path / "home"
    base = Settings.from_env("wenxi-2024")
    return dataclasses.replace(
        base, home=home, warehouse_url=db_urls[0], tax_exchange_url=db_urls[1], inbox=home / "inbox" / "wenxi-2024"
    )


@pytest.fixture
def twin(settings, tmp_path, request):
    """A second home and databases on the same backend, for the full run to compare with."""
    home = tmp_path / "twin"
    if settings.warehouse_url.startswith("sqlite"):
        yield dataclasses.replace(settings, home=home, inbox=home / "inbox" / "wenxi-2024",
                                  warehouse_url=f"sqlite:///{home / 'w.db'}", tax_exchange_url=f"sqlite:///{home / 'x.db'}")
        return
    admin_url = sa.engine.make_url(settings.warehouse_url).set(database="postgres")
    name = f"yibao_twin_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(settings.warehouse_url).set(database=name).render_as_string(hide_password=False)
    yield dataclasses.replace(settings, home=home, inbox=home / "inbox" / "wenxi-2024", warehouse_url=url,
                              tax_exchange_url=url)
    sa.create_engine(url).dispose()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No test reads the developer's data folder or databases by accident."""
    monkeypatch.setenv("YIBAO_HOME", str(tmp_path / "env-home"))
    for var in ("YIBAO_WAREHOUSE_URL", "YIBAO_TAX_EXCHANGE_URL", "YIBAO_COUNTY"):
        monkeypatch.delenv(var, raising=False)



CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync", "--hide-scrollbars"]


@pytest.fixture
def chromium(tmp_path):
    """Render a page in Debian's headless Chromium: ``chromium(url, screenshot=None) -> DOM text``.

    The README's test command installs Chromium; a missing browser fails the test (it is not skipped).
    """
    binary = shutil.which("chromium")
    if binary is None:
        pytest.fail("Chromium is not installed: run `make test`, which installs it (scripts/ensure_browser.sh)")

    def render(url: str, screenshot: Path | None = None, size: str = "1280,2000") -> str:
        profile = tmp_path / f"chromium-profile-{uuid.uuid4().hex[:6]}"
        args = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={size}"]
        if screenshot is not None:
            subprocess.run([*args, f"--screenshot={screenshot}", url], check=True, capture_output=True, timeout=120)
        done = subprocess.run([*args, "--dump-dom", url], check=True, capture_output=True, text=True, timeout=120)
        return done.stdout

    return render


def wenxi_bills(warehouse_url: str, rows, run_id: str) -> dict[str, str]:
    """Record 闻喜 bills (all from 医疗救助资金, 低保 clause) as the bills stage does.

    rows: (id_number, name, town, subsidy_fen); returns id_number → bill number.
    """
    from yibao import bills

    decided = pd.DataFrame({
        "key": range(len(rows)), "id_number": [r[0] for r in rows], "name": [r[1] for r in rows],
        "town": [r[2] for r in rows], "category": "低保对象", "clause": "dibao",
        "subsidy_fen": [r[3] for r in rows], "personal_fen": [38000 - r[3] for r in rows],
        "fund_medical_assistance_fen": [r[3] for r in rows], "basis": "闻政办发〔2023〕29号 二（六）",
    })
    current = bills.build_bills(decided, ["medical_assistance"], "140823", 2024)
    engine = storage.engine(warehouse_url)
    storage.init_db(engine)
    with engine.begin() as conn:
        delta = bills.diff_bills(current, bills.previous_bills(conn, "wenxi-2024", 2024))
        bills.record_changes(conn, delta, "wenxi-2024", 2024, run_id)
    return dict(zip(current["id_number"], current["bill_no"], strict=True))


@pytest.fixture
def record_bills():
    """:func:`wenxi_bills` for tests of the money path (approval, push, tax answers)."""
    return wenxi_bills
