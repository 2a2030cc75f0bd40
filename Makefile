# Ledgerbridge: `make run` brings up the whole demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-sqlite test-postgres lint format bench clean

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m webapp.demo

test: $(STAMP)
	$(PY) -m pytest -q
	@if [ -n "$$DATABASE_URL_TEST" ]; then \
		echo "== again on PostgreSQL ($$DATABASE_URL_TEST) =="; \
		$(PY) -m pytest -q -m "not browser"; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP)
	$(PY) bench/seed_speed.py
	$(PY) bench/poll_cost.py

clean:
	rm -rf $(VENV) instance/*.db
