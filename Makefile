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

.PHONY: install build sizes demo test slither bench lint clean

install: $(VENV)/.installed node_modules/.installed

# Python 3.11+ virtual environment with the project (editable) and its dev tools.
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("vmargin needs Python 3.11 or newer, $(PYTHON) is " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

# Foundry (anvil, forge, cast), solc-js and the Solidity libraries, as locked. Not `npm ci`:
# the lock cannot list the Foundry platform packages that do not exist for this version
# (darwin, win32), and `npm ci` refuses a lock without them.
# Scripts are skipped: the Foundry binaries come in their platform packages.
node_modules/.installed: package.json package-lock.json
	npm install --no-save --ignore-scripts --no-audit --no-fund
	touch $@

build: install
	$(FORGE) build

# Runtime size of every production contract (contracts/*.sol); fails if any has less than
# 4,096 bytes of headroom under the EIP-170 limit of 24,576.
sizes: build
	$(PYTHON) tools/contract_sizes.py

demo: build
	$(BIN)/vmargin demo

test: sizes slither
	$(FORGE) test
	$(BIN)/python -m pytest

$(SLITHER_VENV)/.installed: tools/slither-requirements.txt
	$(PYTHON) -m venv $(SLITHER_VENV)
	$(SLITHER_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r $<
	touch $@

# Static analysis of the production contracts (slither.config.json); fails on any finding
# that is neither fixed nor justified in docs/static-analysis.md. crytic-compile runs forge
# itself (found on PATH) in the `slither` profile, whose build has folders of its own.
slither: $(SLITHER_VENV)/.installed node_modules/.installed
	PATH="$(CURDIR)/$(dir $(FORGE)):$$PATH" FOUNDRY_PROFILE=slither $(SLITHER_VENV)/bin/slither .

lint: install
	$(BIN)/ruff check offchain oracle proofs tests benchmarks tools contracts/test/utils
	$(BIN)/ruff format --check offchain oracle proofs tests benchmarks tools contracts/test/utils
	$(FORGE) fmt --check

clean:
	rm -rf $(VENV) $(SLITHER_VENV) node_modules out cache snapshots

# Gas of liquidations against N, of margin checks against N and positions, of a BLS
# aggregate verification, the forge gas table (certificate paths, numeric functions and
# liquidation, written to benchmarks/results/gas.md), accuracy of the numeric twins against
# mpmath, the batch ES engines against float64 and Python ints (benchmarks/results/
# batch_es.md and .png), then the keeper's latency and the replay time per liquidation
# (about 30 minutes).
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
