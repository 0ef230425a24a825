# The two commands: `make run` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEV := $(PY) scripts/dev.py

# Line coverage of the whole suite must reach these floors: overall, and in the money paths (the
# ledger, custody, payouts, purchases and ranks). A run of chosen tests (PYTEST_ARGS) prints the
# figures without holding them to the floors.
COVERAGE_FLOOR := 85
MONEY_COVERAGE_FLOOR := 95
MONEY_PATHS := \
	wallet/ledger/accounts.py wallet/ledger/postings.py wallet/ledger/adjustments.py \
	wallet/ledger/bonuses.py wallet/ledger/payouts.py wallet/ledger/reconciliation.py \
	wallet/custody/chain.py wallet/custody/keys.py wallet/custody/deposits.py wallet/custody/withdrawals.py \
	wallet/custody/sweeps.py wallet/custody/transfers.py wallet/custody/holdings.py wallet/custody/blocks.py \
	wallet/custody/reconciliation.py \
	earnings/services.py earnings/distributions.py earnings/reconcile.py \
	investment/services.py ranks/services.py
empty :=
comma := ,
comma_list = $(subst $(empty) $(empty),$(comma),$(strip $(1)))
floor = $(if $(PYTEST_ARGS),0,$(1))

.PHONY: run test bench setup lint messages chromium requirements

run: setup
	$(DEV) run

test: setup chromium
	$(DEV) exec -- $(VENV)/bin/pytest --cov --cov-report= $(PYTEST_ARGS)
	$(VENV)/bin/coverage report --fail-under=$(call floor,$(COVERAGE_FLOOR))
	$(VENV)/bin/coverage report --include=$(call comma_list,$(MONEY_PATHS)) --fail-under=$(call floor,$(MONEY_COVERAGE_FLOOR))

bench: setup
	$(DEV) exec -- $(PY) bench/run_all.py

# The type check loads the test settings, which need these set; nothing connects to them.
TYPECHECK_ENV := DJANGO_SECRET_KEY=type-check DATABASE_URL=postgres://x@127.0.0.1/x REDIS_URL=redis://127.0.0.1:6379/15

# One checker a line, each must pass.
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	env $(TYPECHECK_ENV) $(VENV)/bin/mypy .

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
