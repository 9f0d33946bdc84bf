# Two commands do everything on a fresh machine (python3 and make only):
#   make run   - virtual environment, install, migrate, demo data, serve on 127.0.0.1:$(PORT)
#   make test  - install and run the whole suite (ruff and mypy, then pytest)
PYTHON ?= python3
VENV ?= .venv
PORT ?= 5000
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CATALOGS := $(wildcard telemed/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)
# The browser tests' tools from the npm registry (axe-core, package-lock.json), when npm is here.
NPM := $(shell command -v npm 2>/dev/null)
NODE_STAMP := node_modules/.installed-stamp
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test install lint migrate demo translations extract-messages clean rehearse

install: $(STAMP) $(COMPILED) $(if $(NPM),$(NODE_STAMP))

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

# Links in emails follow the port served on, unless TELEMED_BASE_URL says otherwise.
run: export TELEMED_BASE_URL ?= http://127.0.0.1:$(PORT)
run: install
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) demo load
	$(FLASK) demo generate --cases 3000 --years 3 --if-empty
	$(FLASK) serve --host 127.0.0.1 --port $(PORT)

test: install lint
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The production shape on this machine under load, with kill -9 (rehearsal/run.py): needs
# nginx, PostgreSQL and Redis running on 127.0.0.1; a few minutes; fails on any loss or duplicate.
rehearse: install
	$(BIN)/python rehearsal/run.py

translations: $(COMPILED)

migrate: install
	$(FLASK) db upgrade

extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 --project telemed --version 0.1.0 -o telemed/translations/messages.pot .
	$(BIN)/pybabel update -i telemed/translations/messages.pot -d telemed/translations --no-fuzzy-matching --ignore-obsolete --width 0

clean:
	rm -rf $(VENV) .pytest_cache node_modules
