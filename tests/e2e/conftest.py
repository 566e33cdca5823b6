"""`scripts/run_standalone.sh` (the README's `make run`) started for real, on free localhost ports,
with its own AIRFLOW_HOME and YIBAO_HOME under the test's tmp dir, and stopped afterwards."""

from __future__ import annotations

import functools
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

PROJECT = Path(__file__).resolve().parents[2]
E2E_PEOPLE = "3000"
# Unattended end-to-end runs approve every batch automatically (recorded as 自动批准); the approval task's
# human path is exercised in test_approval_dag.py.
AUTO_APPROVE = {"YIBAO_AUTO_APPROVE_MAX_BILLS": "100000000", "YIBAO_AUTO_APPROVE_MAX_YUAN": "1000000000"}


@pytest.fixture
def auto_approve() -> dict[str, str]:
    return dict(AUTO_APPROVE)


@dataclass(frozen=True)
class Standalone:
    api: httpx.Client  # logged in as admin
    log: Path  # everything standalone printed
    env: dict[str, str]  # the environment it was started with (ports)

    def log_tail(self) -> str:
        return tail(self.log)


def tail(log: Path, lines: int = 60) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def stop(process: subprocess.Popen) -> None:
    """SIGTERM the whole process group (standalone and every component it spawned), then SIGKILL."""
    for sig, grace in ((signal.SIGTERM, 60), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                process.wait()
                return
            process.poll()  # reap the group leader so the group can empty
            time.sleep(0.5)


@pytest.fixture
def standalone(tmp_path):
    """A running standalone Airflow, logged in; the instance dies with the test."""
    ports = {
        "AIRFLOW__API__PORT": free_port(),
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": free_port(),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": free_port(),
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "YIBAO_"))}
    env.update({key: str(port) for key, port in ports.items()})
    env.update(
        AIRFLOW_HOME=str(tmp_path / "airflow_home"), YIBAO_HOME=str(tmp_path / "data"), PEOPLE=E2E_PEOPLE,
        **AUTO_APPROVE,
    )
    log = tmp_path / "standalone.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(PROJECT / "scripts" / "run_standalone.sh")],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://localhost:{ports['AIRFLOW__API__PORT']}"
    try:
        deadline = time.monotonic() + 300
        while True:
            assert process.poll() is None, f"run_standalone.sh exited early:\n{tail(log)}"
            assert time.monotonic() < deadline, f"api-server not healthy after 300 s:\n{tail(log)}"
            try:
                if httpx.get(f"{base_url}/api/v2/monitor/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(2)
        passwords = json.loads((tmp_path / "airflow_home" / "simple_auth_manager_passwords.json").read_text())
        token = (
            httpx.post(
                f"{base_url}/auth/token",
                json={"username": "admin", "password": passwords["admin"]},
                timeout=10,
            )
            .raise_for_status()
            .json()["access_token"]
        )
        with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as api:
            yield Standalone(api, log, env)
    finally:
        stop(process)
        assert [key for key, port in ports.items() if port_in_use(port)] == [], "ports still bound after stop"


def _airflow_env(airflow_home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        AIRFLOW_HOME=str(airflow_home),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(PROJECT / "dags"),
        AIRFLOW__CORE__UNIT_TEST_MODE="False",
        PATH=f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
        **extra,
    )
    return env


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory):
    """A migrated Airflow metadata DB for ``dag.test()`` runs in child processes (one per xdist worker)."""
    home = tmp_path_factory.mktemp("airflow_home")
    subprocess.run([str(Path(sys.executable).parent / "airflow"), "db", "migrate"], env=_airflow_env(home),
                   check=True, capture_output=True, timeout=300)
    return home


@pytest.fixture
def airflow_env(airflow_home):
    """``airflow_env(**extra)``: the environment of a child process that runs DAGs against ``airflow_home``."""
    return functools.partial(_airflow_env, airflow_home)


def _run_dags(runner: str, args: list[str], env: dict[str, str], marker: str, timeout: float = 600,
              ) -> tuple[Any, str]:
    try:
        done = subprocess.run([sys.executable, "-c", runner, str(PROJECT / "dags"), *args], env=env, check=False,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:  # what the runs were doing when they stopped moving
        output = "".join(part.decode(errors="replace") if isinstance(part, bytes) else (part or "")
                         for part in (exc.stdout, exc.stderr))
        pytest.fail(f"the DAG runs did not finish in {timeout:.0f} s; their last output:\n{output[-6000:]}")
    line = next((x for x in done.stdout.splitlines() if x.startswith(marker)), None)
    assert done.returncode == 0 and line, done.stderr[-4000:]
    return json.loads(line.removeprefix(marker)), done.stdout + done.stderr


@pytest.fixture
def run_dags():
    """``run_dags(runner, args, env, marker, timeout=600)``: run ``runner`` (DAG runs with ``dag.test()``; the
    dags folder is its first argument, ``args`` the rest) in a child process; returns the JSON it prints
    after ``marker`` and its whole output. A child that fails, or is still running at ``timeout``, fails the
    test with its last output."""
    return _run_dags


@pytest.fixture
def serve(tmp_path):
    """``serve(command, env, url) -> url``: start a web server in its own session, wait until ``url``
    answers (any status), and stop it when the test ends."""
    processes: list[tuple[subprocess.Popen, Path]] = []

    def start(command: list[str], env: dict[str, str], url: str) -> str:
        log = tmp_path / f"server-{len(processes)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        processes.append((process, log))
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, f"server exited:\n{tail(log)}"
            assert time.monotonic() < deadline, f"server not answering after 120 s:\n{tail(log)}"
            try:
                httpx.get(url, timeout=2)
                return url
            except httpx.TransportError:
                time.sleep(0.5)

    yield start
    for process, _ in processes:
        stop(process)
