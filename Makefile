# The two set-up commands of the README are `make run` and `make test`; both build .venv first.
SHELL := /bin/bash
VENV_STAMP := .venv/.installed-from-lock
PYTEST_ARGS ?=
# `make run PEOPLE=3000 YIBAO_COUNTIES=wenxi-2024,juye-2024` reaches scripts/run_standalone.sh.
export PEOPLE YIBAO_COUNTY YIBAO_COUNTIES YIBAO_HOME

.PHONY: run test bench lock

$(VENV_STAMP): requirements.lock pyproject.toml scripts/bootstrap_venv.sh
	scripts/bootstrap_venv.sh
	touch $@

## Warehouse + demo inbox + `airflow standalone` with the pipeline's DAGs unpaused (UI on :8080).
run: $(VENV_STAMP)
	scripts/run_standalone.sh

## The whole suite: unit, DAG integrity, compose, end-to-end standalone, browser; SQLite and PostgreSQL.
test: $(VENV_STAMP)
	scripts/ensure_browser.sh
	.venv/bin/pytest $(PYTEST_ARGS)

## Benchmarks on generated counties; each script writes bench/results/<topic>.json.
bench: $(VENV_STAMP)
	set -e; for script in $(wildcard bench/bench_*.py); do .venv/bin/python "$$script"; done

## Re-resolve every pin after editing pyproject.toml (needs the package index).
lock: $(VENV_STAMP)
	.venv/bin/uv pip compile pyproject.toml --extra test --python-version 3.11 \
	  --python-platform x86_64-unknown-linux-gnu --generate-hashes -o requirements.lock
