# Environment shared by `make run`, the end-to-end test and anyone who wants the `airflow` CLI
# against the local instance: `source scripts/airflow_env.sh`.
# Every variable keeps a value already set by the caller, so tests and operators can redirect
# AIRFLOW_HOME / YIBAO_HOME / ports without editing this file.

YIBAO_PROJECT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$YIBAO_PROJECT/.venv/bin:$PATH"   # standalone spawns `airflow` sub-processes by name

export AIRFLOW_HOME="${AIRFLOW_HOME:-$YIBAO_PROJECT/airflow_home}"
export AIRFLOW__CORE__DAGS_FOLDER="${AIRFLOW__CORE__DAGS_FOLDER:-$YIBAO_PROJECT/dags}"
export AIRFLOW__CORE__PLUGINS_FOLDER="${AIRFLOW__CORE__PLUGINS_FOLDER:-$YIBAO_PROJECT/plugins}"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
# Created paused: scripts/first_run.py unpauses them once the api-server answers (a task handed out
# earlier dies on a timeout and waits for a retry).
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=True
# Workers forked with pandas/pyarrow/GX already imported: tasks start in a fork, not a 20 s import.
export AIRFLOW__CORE__EXECUTOR="${AIRFLOW__CORE__EXECUTOR:-yibao.airflow_runtime.PreloadingLocalExecutor}"
# scripts/airflow_local/airflow_local_settings.py: log servers on 127.0.0.1, like the UI.
export PYTHONPATH="$YIBAO_PROJECT/scripts/airflow_local${PYTHONPATH:+:$PYTHONPATH}"
export AIRFLOW__CORE__HOSTNAME_CALLABLE=airflow_local_settings.loopback_hostname
export AIRFLOW__CORE__DEFAULT_TIMEZONE=Asia/Shanghai
export AIRFLOW__CORE__PARALLELISM="${AIRFLOW__CORE__PARALLELISM:-4}"
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=admin:admin
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE="$AIRFLOW_HOME/simple_auth_manager_passwords.json"
export AIRFLOW__API__HOST="${AIRFLOW__API__HOST:-127.0.0.1}"   # the demo login must not face the network
export AIRFLOW__API__PORT="${AIRFLOW__API__PORT:-8080}"
export AIRFLOW__API__BASE_URL="http://localhost:$AIRFLOW__API__PORT"
export AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT="${AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT:-8793}"
export AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT="${AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT:-8794}"

export YIBAO_HOME="${YIBAO_HOME:-$YIBAO_PROJECT/data}"
export YIBAO_COUNTY="${YIBAO_COUNTY:-wenxi-2024}"
# The demo's synthetic campaign is the 2024 policy year's (rosters and payments up to 2023-12-25): runs
# without an as_of Param take this date, as today's lies outside that campaign and would be refused.
export YIBAO_AS_OF="${YIBAO_AS_OF-2023-12-25}"
export YIBAO_COUNTIES="${YIBAO_COUNTIES:-$YIBAO_COUNTY}"   # the counties served, comma-separated rules ids
