"""docker-compose.yml cannot be started on the build machines (no Docker engine), so its promises are
checked on the parsed file: the production services, the project folders they mount, and the settings
that break a cluster silently when services disagree (JWT secret, fernet key, executor, databases)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

PROJECT = Path(__file__).resolve().parents[2]
AIRFLOW_SERVICES = {
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
}
PROJECT_MOUNTS = {
    "./dags": "/opt/airflow/dags",
    "./plugins": "/opt/airflow/plugins",
    "./include": "/opt/airflow/include",
    "./expectations": "/opt/airflow/expectations",
}


@pytest.fixture(scope="module")
def services() -> dict:
    return yaml.safe_load((PROJECT / "docker-compose.yml").read_text(encoding="utf-8"))["services"]


def airflow_services(services: dict) -> dict:
    return {name: spec for name, spec in services.items() if name in AIRFLOW_SERVICES}


def test_the_production_services_are_all_there(services):
    assert set(services) == AIRFLOW_SERVICES | {"postgres", "redis"}


def test_long_running_services_have_healthchecks(services):
    assert [
        name for name, spec in services.items() if name != "airflow-init" and "healthcheck" not in spec
    ] == []


def test_every_airflow_service_mounts_the_project_folders(services):
    for name, spec in airflow_services(services).items():
        mounts = dict(volume.split(":")[:2] for volume in spec["volumes"])
        assert {host: mounts.get(host) for host in PROJECT_MOUNTS} == PROJECT_MOUNTS, name
    assert [host for host in PROJECT_MOUNTS if not (PROJECT / host).is_dir()] == []


@pytest.mark.parametrize("key", ["AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__CORE__FERNET_KEY"])
def test_every_airflow_service_shares_one_secret(services, key):
    values = {spec["environment"].get(key) for spec in airflow_services(services).values()}
    assert len(values) == 1
    (value,) = values
    assert value.startswith("${") and ":?" in value, (
        "secrets come from .env and are required, never committed"
    )


def test_tasks_run_on_celery_workers_over_redis(services):
    for name, spec in airflow_services(services).items():
        env = spec["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:"), name
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
    worker = services["airflow-worker"]
    assert worker["entrypoint"] == "/bin/bash"
    assert worker["command"][-1].startswith("exec airflow celery worker --queues")
    assert "yibao.airflow_runtime queues" in worker["command"][-1]  # the queues of the worker's counties


def test_counties_are_configuration_with_a_pool_each(services):
    env = services["airflow-scheduler"]["environment"]
    assert env["YIBAO_COUNTIES"].startswith("${YIBAO_COUNTIES:-")
    assert env["AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS"] == "yibao.airflow_runtime.CELERY_CONFIG"
    assert "airflow pools import" in services["airflow-init"]["command"][-1]


def test_metadata_and_warehouse_live_in_postgres(services):
    for name, spec in airflow_services(services).items():
        env = spec["environment"]
        for key in ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "YIBAO_WAREHOUSE_URL", "YIBAO_TAX_EXCHANGE_URL"):
            assert env[key].startswith("postgresql+psycopg2://airflow:"), (name, key)
            assert "@postgres/" in env[key], (name, key)
    assert {"/docker-entrypoint-initdb.d/10-yibao.sql"} <= {
        volume.split(":")[1] for volume in services["postgres"]["volumes"]
    }


def test_the_databases_the_services_use_are_created(services):
    env = services["airflow-scheduler"]["environment"]
    wanted = {env[key].rsplit("/", 1)[1] for key in ("YIBAO_WAREHOUSE_URL", "YIBAO_TAX_EXCHANGE_URL")}
    init_sql = (PROJECT / "docker" / "initdb.sql").read_text(encoding="utf-8")
    assert {name for name in wanted if f"CREATE DATABASE {name} " not in init_sql} == set()
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].endswith(
        "/" + services["postgres"]["environment"]["POSTGRES_DB"]
    )


def test_services_start_after_the_database_is_migrated(services):
    assert "airflow db migrate" in services["airflow-init"]["command"][-1]
    for name, spec in airflow_services(services).items():
        if name != "airflow-init":
            assert spec["depends_on"]["airflow-init"] == {"condition": "service_completed_successfully"}, name
            assert spec["depends_on"]["postgres"] == {"condition": "service_healthy"}, name


def test_the_image_installs_the_locked_environment():
    dockerfile = (PROJECT / "Dockerfile").read_text(encoding="utf-8")
    assert "uv pip sync --no-cache --require-hashes requirements.lock" in dockerfile
    assert "--no-deps -e ." in dockerfile


def test_every_published_port_faces_this_machine_only(services):
    """A published port without an address listens on every interface (the UI's login included)."""
    published = {name: [str(p) for p in spec.get("ports", [])] for name, spec in services.items()}
    assert published["airflow-apiserver"] == ["127.0.0.1:8080:8080"]
    assert {name: [p for p in ports if not p.startswith("127.0.0.1:")] for name, ports in published.items()
            if any(not p.startswith("127.0.0.1:") for p in ports)} == {}
