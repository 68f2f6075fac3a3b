# Two commands: `make run` (set up everything, serve on http://127.0.0.1:5000) and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app campaign
PYBABEL := $(VENV)/bin/pybabel
HOST ?= 127.0.0.1
PORT ?= 5000
FEATURES := $(shell ls -d campaign/*/ | xargs -n1 basename | grep -v -e __pycache__)

.PHONY: run setup venv deps assets catalogs extract migrate demo test lint clean prod soak

run: setup migrate demo
	$(FLASK) run --host $(HOST) --port $(PORT)

setup: deps assets catalogs

$(VENV)/bin/python:
	python3 -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[postgres,redis,prod,dev]'
	touch $@

deps: $(VENV)/.installed

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

assets: node_modules/.package-lock.json
	node scripts/vendor.mjs

# Each feature keeps its own catalogue in campaign/<feature>/translations.
extract: deps
	@for f in $(FEATURES); do \
	  srcs="campaign/$$f"; [ -d templates/$$f ] && srcs="$$srcs templates/$$f"; \
	  [ $$f = core ] && srcs="$$srcs templates/base.html templates/_nav.html templates/_forms.html templates/_import.html templates/errors campaign/__init__.py"; \
	  mkdir -p campaign/$$f/translations; \
	  $(PYBABEL) extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o campaign/$$f/translations/messages.pot $$srcs || exit 1; \
	  if [ -f campaign/$$f/translations/vi/LC_MESSAGES/messages.po ]; then \
	    $(PYBABEL) update --no-fuzzy-matching --ignore-obsolete -i campaign/$$f/translations/messages.pot -d campaign/$$f/translations -l vi; \
	  else \
	    $(PYBABEL) init -i campaign/$$f/translations/messages.pot -d campaign/$$f/translations -l vi; \
	  fi; \
	done

catalogs: deps
	@for d in campaign/*/translations; do \
	  if [ -f $$d/vi/LC_MESSAGES/messages.po ]; then $(PYBABEL) compile --statistics -d $$d -l vi || exit 1; fi; \
	done

migrate: deps
	$(FLASK) db upgrade

demo: deps
	$(FLASK) demo

# Python with ruff; our browser scripts (static/js) with eslint (eslint.config.mjs, pinned in package.json).
lint: deps node_modules/.package-lock.json
	$(VENV)/bin/ruff check campaign tests bench scripts
	node_modules/.bin/eslint static/js scripts eslint.config.mjs

# Legs: sqlite, postgres, browser. A leg that cannot run is skipped and reported;
# with REQUIRE_ALL_LEGS=1 (set by .ci/run) a skipped leg fails the run.
test: setup lint
	$(PY) scripts/test_legs.py $(ARGS)

clean:
	rm -rf $(VENV) node_modules static/vendor instance

# The production shape on this machine (docs/deploy.md): the local PostgreSQL (database PROD_DB,
# created if missing), Redis, gunicorn with WEB_WORKERS workers, an rq worker and the scheduler,
# under honcho. `make soak` (in another terminal) drives a bounded mixed load against it.
PROD_DB ?= campaign_prod
PROD_PORT ?= 8000
WEB_WORKERS ?= 4
REDIS_PORT ?= 6390
PROD_ENV = DATABASE_URL=postgresql://postgres@127.0.0.1:5432/$(PROD_DB) REDIS_URL=redis://127.0.0.1:$(REDIS_PORT)/0 \
  PROD_PORT=$(PROD_PORT) WEB_WORKERS=$(WEB_WORKERS) REDIS_PORT=$(REDIS_PORT)

prod: setup
	psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$(PROD_DB)'" | grep -q 1 \
	  || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE $(PROD_DB)"
	$(PROD_ENV) $(FLASK) db upgrade
	$(PROD_ENV) $(FLASK) units load
	$(PROD_ENV) $(VENV)/bin/honcho -f Procfile start

soak: deps
	$(PROD_ENV) $(PY) bench/soak.py
