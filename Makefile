# Two commands on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format bench clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

## Run the whole system on embedded defaults (broker, SQLite, simulator, detectors, wall).
demo: $(STAMP)
	$(BIN)/witness demo

## Run the whole test suite (CI=true turns skips for missing PostgreSQL/broker into failures).
## The fault suite with the slow tests, and the stream tests, run beside the rest (tests/run_suite.py). PYTEST_ARGS runs one pytest with
## exactly those options instead, e.g. make test PYTEST_ARGS='-m "not faults"'.
## pytest's exit 5 (no test ran) is a failure here, never a pass.
test: $(STAMP)
	$(BIN)/python tests/run_suite.py $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

bench: $(STAMP)
	for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache
