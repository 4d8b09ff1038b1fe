# Anchang: `make run` starts the local stack, `make test` runs the whole suite (README).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SERVICES := staff client_vault ticket appraisal
STAMP := $(VENV)/.installed

.PHONY: venv run stop status logs test test-unit bench migrate clean

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt constraints.txt libs/anchang_common/pyproject.toml $(foreach s,$(SERVICES),services/$(s)/pyproject.toml)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements-dev.txt -c constraints.txt
	$(PY) -m pip install -q --no-deps -e libs/anchang_common $(foreach s,$(SERVICES),-e services/$(s))
	touch $@

run: venv
	$(PY) -m deploy.local.stack start

stop: venv
	$(PY) -m deploy.local.stack stop

status: venv
	$(PY) -m deploy.local.stack status

logs:
	tail -n 50 -F .run/logs/*.log

migrate: venv
	$(foreach s,$(SERVICES),$(PY) -m anchang_common.migrations $(s) &&) true

test: venv
	$(PY) -m pytest tests

test-unit: venv
	$(PY) -m pytest tests/unit

bench: venv
	$(PY) -m bench

clean:
	rm -rf $(VENV)
