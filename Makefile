# The two commands a newcomer needs: `make run` and `make test`. Both set themselves up.
PYTHON ?= python3
VENV ?= .venv
STAMP := $(VENV)/.requirements-installed

.PHONY: run test lint bench venv check-replica

venv: $(STAMP)

# Reinstall only when requirements.txt changes.
$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(not ((3, 10) <= sys.version_info[:2] <= (3, 12)))' || \
	  { echo "Python 3.10 to 3.12 is needed: set PYTHON to such an interpreter (make test PYTHON=python3.11)."; exit 1; }
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/pip install --quiet --upgrade pip wheel
	@$(VENV)/bin/pip install --quiet -r requirements.txt
	@touch $(STAMP)

run: venv
	@VENV=$(abspath $(VENV)) scripts/run.sh

test: venv
	@VENV=$(abspath $(VENV)) scripts/test.sh

lint: venv
	@PATH=$(abspath $(VENV))/bin:$$PATH $(VENV)/bin/pre-commit run --all-files --show-diff-on-failure

bench: venv
	@VENV=$(abspath $(VENV)) scripts/bench.sh

check-replica: venv
	@VENV=$(abspath $(VENV)) scripts/check_replica.sh
