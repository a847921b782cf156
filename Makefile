# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test

$(BIN)/flask: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: $(BIN)/flask
	$(BIN)/flask --app app db upgrade
	$(BIN)/flask --app app seed-demo --only-if-new
	@echo "Open http://127.0.0.1:5000 and sign in with the login above."
	$(BIN)/flask --app app run --host 127.0.0.1 --port 5000

test: $(BIN)/flask
	$(BIN)/python -m pytest
