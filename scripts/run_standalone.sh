#!/usr/bin/env bash
# The README's first command (after bootstrap): prepare the warehouse and the demo inbox, then run
# `airflow standalone` in the foreground (Ctrl-C stops every component).
set -euo pipefail
source "$(dirname "$0")/airflow_env.sh"
PEOPLE="${PEOPLE:-20000}"

mkdir -p "$AIRFLOW_HOME" "$YIBAO_HOME"
yibao db init
for county in ${YIBAO_COUNTIES//,/ }; do
  inbox="$YIBAO_HOME/inbox/$county"
  if [ -z "$(ls -A "$inbox" 2>/dev/null)" ]; then
    echo "收件箱为空，生成演示数据 (empty inbox: generating a demo county of $PEOPLE people) → $inbox"
    yibao synth --county "$county" --people "$PEOPLE" --seed 1 --out "$inbox"
  fi
done

# A known login for the local UI; delete the file to choose another password.
passwords="$AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"
[ -s "$passwords" ] || echo '{"admin": "admin"}' > "$passwords"

# Announces the UI once the api-server answers, then unpauses the DAGs and says what to open.
python "$(dirname "$0")/first_run.py" &
exec airflow standalone
