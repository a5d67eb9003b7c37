# Two commands on a fresh Debian machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test test-asterisk lint typecheck pytest clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	./scripts/system-deps runtime
	$(BIN)/rdv demo

test: $(VENV)/.installed
	./scripts/system-deps test
	$(MAKE) lint typecheck pytest

lint:
	$(BIN)/ruff check .

typecheck:
	$(BIN)/mypy

# tests/asterisk runs against a real Asterisk when RDV_TEST_ASTERISK names one (.ci/run sets it), else it is
# skipped with the reason shown.
pytest:
	$(BIN)/pytest -q -p no:cacheprovider

# Only the real-Asterisk tests: make test-asterisk RDV_TEST_ASTERISK=../shared/asterisk
test-asterisk: $(VENV)/.installed
	./scripts/system-deps test
	RDV_TEST_ASTERISK=$${RDV_TEST_ASTERISK:?name an Asterisk install} $(BIN)/pytest -q -p no:cacheprovider tests/asterisk

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache
