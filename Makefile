# Anchang: `make run` starts the local stack, `make test` runs the whole suite (README).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SERVICES := staff client_vault ticket appraisal
STAMP := $(VENV)/.installed
# the Node.js packages of the contract's tests: the example caller (examples/node) and the AsyncAPI
# validator (deploy/contract/validator), each installed from its package-lock.json
NODE_DIRS := examples/node deploy/contract/validator
NODE_STAMPS := $(foreach d,$(NODE_DIRS),$(d)/node_modules/.installed)
# the validators of k8s/ (kubernetes-validate, checkov): a venv of their own, tests/k8s/README.md
K8S_VENV := .venv-k8s
K8S_STAMP := $(K8S_VENV)/.installed

.PHONY: venv k8s-tools k8s-generate node-deps contract run stop status logs demo test test-unit fuzz bench lint migrate clean

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt constraints.txt libs/anchang_common/pyproject.toml libs/anchang_cli/pyproject.toml $(foreach s,$(SERVICES),services/$(s)/pyproject.toml) clients/python/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements-dev.txt -c constraints.txt
	$(PY) -m pip install -q --no-deps -e libs/anchang_common -e libs/anchang_cli $(foreach s,$(SERVICES),-e services/$(s)) -e clients/python
	touch $@

k8s-tools: $(K8S_STAMP)

$(K8S_STAMP): requirements-k8s.txt
	test -x $(K8S_VENV)/bin/python || $(PYTHON) -m venv $(K8S_VENV)
	$(K8S_VENV)/bin/python -m pip install -q -r requirements-k8s.txt
	touch $@

node-deps: $(NODE_STAMPS)

# npm ci: exactly the locked versions; no install scripts (none is needed, and one would phone home)
%/node_modules/.installed: %/package.json %/package-lock.json
	cd $* && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# rewrite docs/asyncapi.yaml and the typed client (clients/python) from the services' contract.py
contract: venv
	$(PY) -m deploy.contract

# rewrite the generated files of k8s/ (deploy/kubernetes/) after changing what they come from
k8s-generate: venv
	$(PY) -m deploy.kubernetes

run: venv
	$(PY) -m deploy.local start

stop: venv
	$(PY) -m deploy.local stop

status: venv
	$(PY) -m deploy.local status

logs:
	tail -n 50 -F .run/logs/*.log

# a realistic day of a sales site on the stack `make run` started (docs/cli.md#make-demo);
# DEMO_ARGS="--json" or "--tickets 100" etc. are passed to `anchang demo`
demo: venv
	$(VENV)/bin/anchang demo $(DEMO_ARGS)

migrate: venv
	$(foreach s,$(SERVICES),$(PY) -m anchang_common.migrations $(s) &&) true

test: venv k8s-tools node-deps
	$(PY) -m pytest tests

test-unit: venv
	$(PY) -m pytest tests/unit

# the full fuzzing profile: 160 inputs per RPC method and dialect (make test runs a few per method)
FUZZ_EXAMPLES ?= 160
fuzz: venv
	ANCHANG_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest tests/fuzz -s

# BENCH_QUICK=1: every benchmark end to end in seconds, figures meaningless (CI runs it as a smoke test)
bench: venv
	$(PY) -m bench $(if $(filter 1,$(BENCH_QUICK)),--quick)

# LINT_PATHS: what to check (default: the whole tree)
LINT_PATHS ?= .
lint: venv
	$(PY) -m ruff check $(LINT_PATHS)

clean:
	rm -rf $(VENV) $(K8S_VENV) $(foreach d,$(NODE_DIRS),$(d)/node_modules)
