# Two commands: `make run` (the whole main job on the embedded sample web) and `make test`.
# A fresh machine has Python 3.11 and make: uv is bootstrapped into .tools/ from PyPI.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION ?= 0.13.9
UV := .tools/bin/uv
VENV := .venv
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)

.PHONY: run test setup bench lint clean dev

$(UV):
	@echo "First run: installing uv into .tools/ and the locked dependencies into .venv/ (a few minutes)"
	@$(PYTHON) -m venv .tools
	@.tools/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)" 2>&1 | grep -v "is ignored"; test -x $(UV)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	@$(UV) sync --frozen --quiet --compile-bytecode --python $(PYTHON)
	@touch $@

# The dbt manifest is built here, once, not parsed on every import of the code location.
MANIFEST := dbt_project/target/manifest.json
$(MANIFEST): $(VENV)/.synced $(shell find dbt_project/models dbt_project/seeds dbt_project/snapshots dbt_project/macros dbt_project/tests -type f 2>/dev/null) dbt_project/dbt_project.yml
	@cd dbt_project && ../$(VENV)/bin/dbt parse --profiles-dir . --quiet
	@touch $@

setup: $(VENV)/.synced $(MANIFEST)

run: setup
	@$(VENV)/bin/smartpick run $(ARGS)

test: setup
	$(VENV)/bin/python -m pytest -q

# pyflakes and pycodestyle's errors (pyproject.toml [tool.ruff]); CI runs it before the tests
lint: setup
	$(VENV)/bin/ruff check .

# `make dev PORT=3001` when 3000 is taken
PORT ?= 3000
dev: setup
	DAGSTER_HOME=$(CURDIR)/dagster_home $(VENV)/bin/dagster dev -w workspace.yaml -p $(PORT)

bench: setup
	$(VENV)/bin/python bench/score_extraction.py
	$(VENV)/bin/python bench/bench_extract_crawl.py
	$(VENV)/bin/python bench/bench_crawl_pacing.py
	$(VENV)/bin/python bench/bench_acgme_rolling.py

clean:
	rm -rf .tools $(VENV) outputs data dbt_project/target
