# The two commands: `make run` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEV := $(PY) scripts/dev.py

.PHONY: run test bench setup lint messages chromium

run: setup
	$(DEV) run

test: setup chromium
	$(DEV) exec -- $(VENV)/bin/pytest $(PYTEST_ARGS)

bench: setup
	$(DEV) exec -- $(PY) bench/run_all.py

# The type check loads the test settings, which need these set; nothing connects to them.
TYPECHECK_ENV := DJANGO_SECRET_KEY=type-check DATABASE_URL=postgres://x@127.0.0.1/x REDIS_URL=redis://127.0.0.1:6379/15

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	env $(TYPECHECK_ENV) $(VENV)/bin/mypy .

messages: setup
	$(DEV) exec -- $(PY) manage.py makemessages -l zh_Hans --ignore=node_modules --ignore=.venv

setup: $(VENV)/.installed node_modules/.installed

chromium:
	sh scripts/chromium.sh

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@
