# vmargin: the two commands are `make demo` and `make test`; both install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The platform binary itself: npm's Node wrapper (node_modules/.bin/forge) exits 0 even
# when forge fails, so a failing test or format check would not fail make.
FOUNDRY_PLATFORM := $(shell uname -s | tr A-Z a-z)-$(shell uname -m | sed 's/x86_64/amd64/;s/aarch64/arm64/')
FORGE := node_modules/@foundry-rs/forge-$(FOUNDRY_PLATFORM)/bin/forge
# Slither has a virtual environment of its own: slither-analyzer needs web3 < 8, the project
# pins web3 8.
SLITHER_VENV := .venv-slither

# The Python sources that lint and type checks read.
PY_SOURCES := offchain oracle proofs tests benchmarks tools contracts/test/utils
# The package's modules. The editable install (setuptools' strict mode) links each one
# into build/ as the package `vmargin`, which type checkers and import-linter read like an
# installed wheel; so it is redone when a module is added or removed (the list below
# changes), not when one is edited.
MODULES := $(sort $(wildcard offchain/*.py offchain/*/*.py oracle/*.py proofs/*.py))
$(shell mkdir -p $(VENV) && (echo '$(MODULES)' | cmp -s - $(VENV)/.modules || echo '$(MODULES)' > $(VENV)/.modules))

.PHONY: install build sizes demo test test-fast slither bench lint clean

install: $(VENV)/.installed node_modules/.installed

# Python 3.11+ virtual environment with the project (editable) and its dev tools.
$(VENV)/.installed: pyproject.toml $(VENV)/.modules
	@$(PYTHON) -c 'import sys; sys.exit("vmargin needs Python 3.11 or newer, $(PYTHON) is " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' --config-settings editable_mode=strict
	touch $@

# Foundry (anvil, forge, cast), solc-js and the Solidity libraries, as locked. Not `npm ci`:
# the lock cannot list the Foundry platform packages that do not exist for this version
# (darwin, win32), and `npm ci` refuses a lock without them.
# Scripts are skipped: the Foundry binaries come in their platform packages.
node_modules/.installed: package.json package-lock.json
	npm install --no-save --ignore-scripts --no-audit --no-fund
	touch $@

# Compile, then export the ABI and bytecode of the production contracts into the package
# (offchain/artifacts/, shipped in the wheel as vmargin/artifacts).
build: install
	$(FORGE) build
	$(BIN)/python tools/export_artifacts.py

# Runtime size of every production contract (contracts/*.sol); fails if any has less than
# 4,096 bytes of headroom under the EIP-170 limit of 24,576.
sizes: build
	$(PYTHON) tools/contract_sizes.py

demo: build
	$(BIN)/vmargin demo

# Lint first, then the contract sizes (after the build), static analysis, the forge suites
# and every pytest test.
test: lint sizes slither
	$(FORGE) test
	$(BIN)/pytest

# The edit loop: the node-free pytest tests and the forge suites but the invariant campaign.
test-fast: build
	$(BIN)/pytest tests/unit
	$(FORGE) test --no-match-contract Invariant

$(SLITHER_VENV)/.installed: tools/slither-requirements.txt
	$(PYTHON) -m venv $(SLITHER_VENV)
	$(SLITHER_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r $<
	touch $@

# Static analysis of the production contracts (slither.config.json); fails on any finding
# that is neither fixed nor justified in docs/static-analysis.md. crytic-compile runs forge
# itself (found on PATH) in the `slither` profile, whose build has folders of its own.
slither: $(SLITHER_VENV)/.installed node_modules/.installed
	PATH="$(CURDIR)/$(dir $(FORGE)):$$PATH" FOUNDRY_PROFILE=slither $(SLITHER_VENV)/bin/slither .

# Style, formatting, types (mypy), the layers (import-linter, .importlinter) and Solidity
# formatting.
lint: install
	$(BIN)/ruff check $(PY_SOURCES)
	$(BIN)/ruff format --check $(PY_SOURCES)
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(FORGE) fmt --check

clean:
	rm -rf $(VENV) $(SLITHER_VENV) node_modules out cache snapshots build offchain/artifacts

# Gas of liquidations against N, of margin checks against N and positions, of a BLS
# aggregate verification, the forge gas table (certificate paths, numeric functions and
# liquidation, written to benchmarks/results/gas.md), accuracy of the numeric twins against
# mpmath, the batch ES engines against float64 and Python ints (benchmarks/results/
# batch_es.md and .png), then the keeper's latency and the replay time per liquidation
# (about 30 minutes).
# The benchmarks import the test support (the crowd, the harness deployer) from tests/.
bench: export PYTHONPATH = tests
bench: build
	$(BIN)/python benchmarks/liquidation_gas.py
	$(BIN)/python benchmarks/margin_gas.py
	$(BIN)/python benchmarks/bls_gas.py
	$(BIN)/python benchmarks/attested_margin_gas.py
	$(BIN)/python benchmarks/gas_table.py
	$(BIN)/python benchmarks/accuracy_exponential.py
	$(BIN)/python benchmarks/accuracy_option_pricing.py
	$(BIN)/python benchmarks/batch_es.py
	$(BIN)/python benchmarks/keeper_latency.py
