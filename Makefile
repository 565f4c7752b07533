# Two commands for a new machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
HOST   ?= 127.0.0.1
TEST_PROCESSES ?= auto
export FLASK_APP := wsgi

.PHONY: install run test lint screenshots bench translations clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

## run: install, migrate, deploy bpmn/, seed the demo, serve on http://$(HOST):$(PORT) with the timer worker
##      (HOST=0.0.0.0 serves the LAN too)
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask processes deploy
	$(BIN)/flask seed-demo
	INPROCESS_WORKER=1 $(BIN)/flask run --host $(HOST) --port $(PORT)

## test: install, lint (ruff check and format check) and run the whole suite (SQLite and PostgreSQL) in one process
##       per CPU (pytest-xdist, test by test, an idle process taking over another's; TEST_PROCESSES=1 for one)
test: install lint
	$(BIN)/pytest -n $(TEST_PROCESSES) --dist worksteal

## screenshots: the browser tests, writing their pages' screenshots (wide and phone) to test-artifacts/e2e/
screenshots: install
	TEST_SCREENSHOTS=1 $(BIN)/pytest -n $(TEST_PROCESSES) --dist worksteal tests/e2e

## lint: ruff's checks and its formatting, with the choices in pyproject.toml (`ruff format .` fixes the second)
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## bench: print the benchmark figures as JSON
bench: install
	$(BIN)/python bench/engine_step.py
	$(BIN)/python bench/sla_sweep.py
	$(BIN)/python bench/http_lifecycle.py
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/api_load.py

## translations: extract messages, update the catalogues, compile them (fill new msgstr in messages.po first)
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o /tmp/workflow-messages.pot .
	$(BIN)/pybabel update -i /tmp/workflow-messages.pot -d workflow_app/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d workflow_app/translations

clean:
	rm -rf $(VENV) instance *.egg-info
