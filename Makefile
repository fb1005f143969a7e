# One task runner for the README, CI and developers.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test bench lint lab venv bytecode system-deps clean

demo: bytecode ## simulate a week of traffic, ingest it, run every scheduled report
	$(BIN)/apislo demo

test: bytecode system-deps ## the whole test suite (starts its own Prometheus)
	$(BIN)/pytest

bench: bytecode ## benchmarks in bench/, printing apislo's figures beside their baselines
	$(BIN)/python bench/run.py

lint: $(STAMP)
	$(BIN)/ruff check apislo tests bench
	$(BIN)/ruff format --check apislo tests bench

lab: $(STAMP) ## JupyterLab on notebooks/ with the project's kernel (registered as "apislo")
	$(BIN)/python -c 'from apislo.report.kernel import ensure_kernel; ensure_kernel()'
	$(BIN)/jupyter lab --notebook-dir=notebooks

venv: $(STAMP)

# pip compiles an installed package's modules, but not those of this editable checkout, and
# with PYTHONDONTWRITEBYTECODE set Python would compile them anew in every process (60-80 ms
# of each `apislo` command). compileall only redoes the modules that changed.
bytecode: $(STAMP)
	@$(BIN)/python -m compileall -q apislo

$(STAMP): pyproject.toml apislo/sources/logs/_nginx_scan.c
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

system-deps: ## Debian's prometheus (and chromium for the browser test)
	@bash scripts/system-deps.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
