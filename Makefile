# The two commands: `make run` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEV := $(PY) scripts/dev.py

.PHONY: run test bench setup lint messages chromium requirements

run: setup
	$(DEV) run

test: setup chromium
	$(DEV) exec -- $(VENV)/bin/pytest $(PYTEST_ARGS)

bench: setup
	$(DEV) exec -- $(PY) bench/run_all.py

lint: setup
	$(VENV)/bin/ruff check .

messages: setup
	$(DEV) exec -- $(PY) manage.py makemessages -l zh_Hans --ignore=node_modules --ignore=.venv

setup: $(VENV)/.installed node_modules/.installed

chromium:
	sh scripts/chromium.sh

# Both files are hash-locked; pip refuses any package whose hash is not listed.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes \
		-r requirements.txt -r requirements-dev.txt
	touch $@

# After a change to requirements.in or requirements-dev.in (options in pyproject.toml). Locked
# versions are kept; `make requirements UPGRADE="--upgrade-package NAME"` moves one.
requirements: $(VENV)/.installed
	$(VENV)/bin/pip-compile --quiet $(UPGRADE) --output-file requirements.txt requirements.in
	$(VENV)/bin/pip-compile --quiet $(UPGRADE) --output-file requirements-dev.txt requirements-dev.in

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@
