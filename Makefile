# Ledgerbridge: `make run` brings up the whole demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-sqlite test-postgres lint format bench clean i18n i18n-check

# One venv for the demo and the tests: the runtime (requirements.txt) plus the demo's Redis binary
# and the test tools (requirements-dev.txt). A production install takes requirements.txt alone.
$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m webapp.demo

# The whole suite on SQLite, then (when DATABASE_URL_TEST names a PostgreSQL server, as in CI)
# everything but the browser tests again on PostgreSQL. PYTEST_ARGS passes options through.
# Three pytest-xdist workers, one test file each at a time (--dist loadfile keeps a file's
# module fixtures and its processes together): much of the suite waits on browsers, workers and
# sockets, so three workers fit two CPUs. Each worker has its own database, Redis and emulator.
# PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= 3
XDIST := $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadfile)
test: test-sqlite test-postgres

test-sqlite: $(STAMP)
	env -u DATABASE_URL_TEST $(PY) -m pytest -q -rsx $(XDIST) $(PYTEST_ARGS)

test-postgres: $(STAMP)
	@if [ -n "$$DATABASE_URL_TEST" ]; then \
		echo "== again on PostgreSQL ($$DATABASE_URL_TEST), without the browser tests =="; \
		$(PY) -m pytest -q -rsx -m "not browser" $(XDIST) $(PYTEST_ARGS); \
	else \
		echo "== DATABASE_URL_TEST is not set: skipping the PostgreSQL run =="; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Translations (English and Dutch): `make i18n` extracts the messages, merges them into
# webapp/translations/nl/LC_MESSAGES/messages.po and compiles messages.mo (committed, so neither
# the app nor the tests need a build step); `make i18n-check` fails on any untranslated message.
i18n: $(STAMP)
	$(PY) -m webapp.i18n_catalog update

i18n-check: $(STAMP)
	$(PY) -m webapp.i18n_catalog check

bench: $(STAMP)
	$(PY) bench/seed_speed.py
	$(PY) bench/poll_cost.py
	$(PY) bench/pages.py
	$(PY) bench/badge.py
	$(PY) bench/bulk_sync.py
	$(PY) bench/bulk_overhead.py

clean:
	rm -rf $(VENV) instance/*.db
