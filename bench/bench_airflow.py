"""The daily chain inside Airflow, timed the way a user meets it: `scripts/run_standalone.sh` (the README's
`make run`) on a generated county, from the moment the UI answers until every DAG of the county's chain
(ingest → decide → tax push → coverage) is green.

    .venv/bin/python bench/bench_airflow.py --people 20000 [--people 1000000] [--executor LocalExecutor]

Writes bench/results/airflow.json (one entry per people × executor, merged with what is there). Targets
(issue 11): 20,000 people green within 90 s of the UI answering; 1,000,000 people's chain in
`airflow standalone` ≤ 3 min. Also records each task's run time and its share spent before the task's
own code (start-up), from the task instances' start and end times. Generating the county is not timed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

PROJECT = Path(__file__).resolve().parents[1]
RESULTS = PROJECT / "bench" / "results" / "airflow.json"
COUNTY = "wenxi-2024"
CHAIN = [f"yibao_{stage}__{COUNTY}" for stage in ("ingest", "decide", "tax_push", "coverage")]
AUTO_APPROVE = {"YIBAO_AUTO_APPROVE_MAX_BILLS": "100000000", "YIBAO_AUTO_APPROVE_MAX_YUAN": "10000000000"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    for sig, grace in ((signal.SIGTERM, 60), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.5)


def seconds(a: str | None, b: str | None) -> float | None:
    return None if not a or not b else round((dt.datetime.fromisoformat(b) - dt.datetime.fromisoformat(a)).total_seconds(), 1)


def run_once(people: int, executor: str | None, timeout: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="yibao-bench-airflow-") as tmp:
        home = Path(tmp)
        ports = {k: str(free_port()) for k in ("AIRFLOW__API__PORT", "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT",
                                                "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT")}
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "YIBAO_"))}
        env.update(ports, AIRFLOW_HOME=str(home / "airflow_home"), YIBAO_HOME=str(home / "data"), PEOPLE=str(people),
                   YIBAO_COUNTIES=COUNTY, **AUTO_APPROVE)
        if executor:
            env["AIRFLOW__CORE__EXECUTOR"] = executor
        # Generate the county first (not timed), so the clock covers Airflow only.
        subprocess.run([str(PROJECT / ".venv" / "bin" / "yibao"), "synth", "--county", COUNTY, "--people", str(people),
                        "--seed", "1", "--out", str(home / "data" / "inbox" / COUNTY)], env=env, check=True,
                       capture_output=True)
        log = home / "standalone.log"
        started = time.monotonic()
        with log.open("wb") as out:
            process = subprocess.Popen([str(PROJECT / "scripts" / "run_standalone.sh")], env=env, stdout=out,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        base = f"http://localhost:{ports['AIRFLOW__API__PORT']}"
        try:
            while True:
                try:
                    if httpx.get(f"{base}/api/v2/monitor/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() - started > 600:
                    raise RuntimeError(log.read_text(errors="replace")[-3000:])
                time.sleep(0.5)
            ui_at = time.monotonic()
            password = json.loads((home / "airflow_home" / "simple_auth_manager_passwords.json").read_text())["admin"]
            token = httpx.post(f"{base}/auth/token", json={"username": "admin", "password": password}, timeout=30)
            api = httpx.Client(base_url=base, timeout=30,
                               headers={"Authorization": f"Bearer {token.raise_for_status().json()['access_token']}"})
            runs: dict[str, dict] = {}
            while True:
                for dag_id in CHAIN:
                    got = api.get(f"/api/v2/dags/{dag_id}/dagRuns", params={"limit": 1, "order_by": "-run_after"})
                    found = got.json().get("dag_runs", []) if got.status_code == 200 else []
                    if found:
                        runs[dag_id] = found[0]
                states = {dag_id: runs.get(dag_id, {}).get("state") for dag_id in CHAIN}
                if set(states.values()) == {"success"} or "failed" in states.values():
                    break
                if time.monotonic() - ui_at > timeout:
                    break
                time.sleep(1)
            green_at = time.monotonic()
            tasks = {}
            for dag_id, run in runs.items():
                tis = api.get(f"/api/v2/dags/{dag_id}/dagRuns/{run['dag_run_id']}/taskInstances",
                              params={"limit": 100}).json()["task_instances"]
                for ti in tis:
                    name = f"{dag_id.removeprefix('yibao_').split('__')[0]}.{ti['task_id']}"
                    if ti["map_index"] >= 0:
                        name += f"[{ti.get('rendered_map_index') or ti['map_index']}]"
                    tasks[name] = {"seconds": seconds(ti["start_date"], ti["end_date"]), "state": ti["state"],
                                   "tries": ti["try_number"]}
        finally:
            stop(process)
        return {
            "people": people, "executor": executor or "yibao.airflow_runtime.PreloadingLocalExecutor (make run)",
            "ui_answered_after_start_s": round(ui_at - started, 1),
            "chain_green_after_ui_s": round(green_at - ui_at, 1),
            "states": {dag_id: runs.get(dag_id, {}).get("state") for dag_id in CHAIN},
            "dag_run_seconds": {dag_id: seconds(run.get("start_date"), run.get("end_date")) for dag_id, run in runs.items()},
            "tasks": tasks,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, action="append")
    parser.add_argument("--executor", help="e.g. LocalExecutor, to compare with Airflow's own executor")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds after the UI answers")
    parser.add_argument("--note", default="2-core machine shared with three other sessions: figures are noisy")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    results = json.loads(args.out.read_text()) if args.out.exists() else {"runs": {}}
    for people in args.people or [20_000]:
        result = run_once(people, args.executor, args.timeout)
        key = f"{people}:{result['executor'].split()[0]}"
        results["runs"][key] = {"when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "note": args.note,
                                "machine": {"python": platform.python_version(), "cpus": os.cpu_count()}, **result}
        print(json.dumps({k: v for k, v in result.items() if k != "tasks"}, ensure_ascii=False, indent=2))
    results["targets"] = {"20000": "chain green ≤ 90 s after the UI answers", "1000000": "chain ≤ 180 s in standalone"}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    main()
