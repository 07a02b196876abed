# Status page and outage tracker. `make run` for a laptop demo, `make test` for the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run lint test test-sqlite test-servers test-soak bench soak clean messages screenshots

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

run: $(STAMP)
	@bash scripts/run.sh

# The whole suite on the embedded defaults (SQLite, filesystem broker) and, when
# TEST_DATABASE_URL / TEST_REDIS_URL point at them, again on PostgreSQL and Redis. The two
# passes run side by side: they share no database, cache, broker or folder, and mostly wait
# on the processes they start. Then the short soak, alone: it measures lateness under load.
test: $(STAMP)
	@$(MAKE) --no-print-directory lint
	@bash scripts/test-deps.sh
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	   $(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-servers; \
	 else echo "TEST_DATABASE_URL not set: no PostgreSQL/Redis pass"; $(MAKE) --no-print-directory test-sqlite; fi
	@$(MAKE) --no-print-directory test-soak

# The layers (import-linter, .importlinter) and ruff (ruff.toml), in seconds: first in `make test`.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

test-sqlite: $(STAMP)
	env -u DATABASE_URL -u REDIS_URL -u CELERY_BROKER_URL STATUSPAGE_VAR_DIR=$(CURDIR)/var/test-sqlite \
		$(PY) -m pytest -m "not servers and not soak" $(PYTEST_ARGS)

test-soak: $(STAMP)
	env -u DATABASE_URL -u REDIS_URL -u CELERY_BROKER_URL STATUSPAGE_VAR_DIR=$(CURDIR)/var/test-soak \
		$(PY) -m pytest -m soak $(PYTEST_ARGS)

# Everything that touches the database, the cache or the broker. Tests marked `pure` or
# `once` (logic and behaviour no database or broker changes), the browser, and the soak run
# in the SQLite pass or alone (pytest.ini's markers).
test-servers: $(STAMP)
	env -u CELERY_BROKER_URL DATABASE_URL=$$TEST_DATABASE_URL REDIS_URL=$$TEST_REDIS_URL \
		STATUSPAGE_VAR_DIR=$(CURDIR)/var/test-servers $(PY) -m pytest \
		-m "not browser and not pure and not once and not soak" $(PYTEST_ARGS)

bench: $(STAMP)
	@bash scripts/bench.sh

# Ten minutes (SOAK_SECONDS) of wrk on the page and the v2 API on loopback, incidents posted,
# probes every 2 s: fails on any error, a probe late by more than 2 s or memory that grows.
soak: $(STAMP)
	$(PY) scripts/soak.py

clean:
	rm -rf var

# Translations: extract the marked strings into locale/*/django.po (needs GNU gettext,
# `apt-get install gettext`), translate the new entries, compile; commit .po and .mo.
LOCALES := -l uk -l uz -l uz_Latn -l ru
I18N_IGNORE := --ignore='.venv/*' --ignore='node_modules/*' --ignore='var/*' --ignore='tests/*' --ignore='bench/*'
messages: $(STAMP)
	$(PY) manage.py makemessages $(LOCALES) --add-location=file $(I18N_IGNORE)
	$(PY) manage.py compilemessages $(I18N_IGNORE)

# docs/screenshot-*.png for the README, from a throwaway instance, in the machine's Chromium.
screenshots: $(STAMP)
	$(PY) scripts/screenshots.py
