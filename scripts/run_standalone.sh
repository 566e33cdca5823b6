#!/usr/bin/env bash
# The README's first command (after bootstrap): prepare the warehouse and the demo inbox, then run
# `airflow standalone` in the foreground (Ctrl-C stops every component).
set -euo pipefail
source "$(dirname "$0")/airflow_env.sh"
PEOPLE="${PEOPLE:-20000}"

mkdir -p "$AIRFLOW_HOME" "$YIBAO_HOME"
yibao db init
inbox="$YIBAO_HOME/inbox/$YIBAO_COUNTY"
if [ -z "$(ls -A "$inbox" 2>/dev/null)" ]; then
  echo "收件箱为空，生成演示数据 (empty inbox: generating a demo county of $PEOPLE people) → $inbox"
  yibao synth --county "$YIBAO_COUNTY" --people "$PEOPLE" --seed 1 --out "$inbox"
fi

# A known login for the local UI; delete the file to choose another password.
passwords="$AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"
[ -s "$passwords" ] || echo '{"admin": "admin"}' > "$passwords"
password="$(python -c 'import json, sys; print(json.load(open(sys.argv[1]))["admin"])' "$passwords")"

ui="$AIRFLOW__API__BASE_URL"
(  # announce the UI once the api-server answers (bounded: 10 minutes)
  for _ in $(seq 600); do
    if python -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
         "$ui/api/v2/monitor/health" 2>/dev/null; then
      printf '\n==> Airflow 界面 (UI): %s  用户 (user): admin  密码 (password): %s\n' "$ui" "$password"
      printf '==> 流水线已启用，首次每日运行即刻开始 (DAGs unpaused; the first daily run starts now)\n\n'
      exit 0
    fi
    sleep 1
  done
) &
exec airflow standalone
