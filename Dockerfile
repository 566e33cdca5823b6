# The image every Airflow service of docker-compose.yml runs: the pinned environment of
# requirements.lock plus the yibao package, installed editable so the mounted include/ is what runs.
FROM python:3.11-slim-bookworm

ENV AIRFLOW_HOME=/opt/airflow \
    PYTHONUNBUFFERED=1 \
    UV_SYSTEM_PYTHON=1
RUN pip install --no-cache-dir uv==0.13.9 \
 && useradd --uid 50000 --gid 0 --home-dir /opt/airflow --create-home airflow
WORKDIR /opt/airflow

COPY requirements.lock pyproject.toml ./
RUN uv pip sync --no-cache --require-hashes requirements.lock
COPY include/ include/
RUN uv pip install --no-cache --no-deps -e . && chown -R airflow:0 /opt/airflow

USER airflow
ENTRYPOINT ["airflow"]
