#!/usr/bin/env bash
# Headless Chromium and CJK fonts for the browser tests (report pages, the Airflow UI). Debian's packages:
# Playwright's own browser download is blocked on these machines. Does nothing when both are present.
set -euo pipefail
need=()
command -v chromium >/dev/null || need+=(chromium)
{ command -v fc-list >/dev/null && fc-list :lang=zh family | grep -q .; } || need+=(fonts-noto-cjk)
[ ${#need[@]} -eq 0 ] && exit 0
echo "安装浏览器测试所需软件包 (installing for browser tests): ${need[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
