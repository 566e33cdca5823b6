#!/usr/bin/env bash
# Create .venv (if missing) and make it match requirements.lock exactly, then install the project
# itself in editable mode. uv is bootstrapped with pip because it is not part of the lock.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3
"$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
  || { echo "错误：需要 Python 3.11 (Python 3.11 is required; set PYTHON=...)" >&2; exit 2; }

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
[ -x .venv/bin/uv ] || .venv/bin/python -m pip install --quiet --disable-pip-version-check uv==0.13.9
.venv/bin/uv pip sync --quiet --python .venv/bin/python --require-hashes requirements.lock
.venv/bin/uv pip install --quiet --python .venv/bin/python --no-deps -e .
