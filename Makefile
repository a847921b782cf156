# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000

.PHONY: run test

$(BIN)/flask: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# The worker (email delivery, later reminders and webhooks) runs beside the server and
# stops with it: Ctrl-C or any exit of the recipe's shell ends it too.
run: $(BIN)/flask
	$(BIN)/flask --app app db upgrade
	$(BIN)/flask --app app seed-demo --only-if-new
	@$(BIN)/flask --app app worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM; \
	echo "Open http://127.0.0.1:$(PORT) and sign in with the login above."; \
	$(BIN)/flask --app app run --host 127.0.0.1 --port $(PORT)

test: $(BIN)/flask
	$(BIN)/python -m pytest
