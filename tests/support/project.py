"""The checkout the tests run in, and the test-only contracts forge built there."""

import json
from functools import cache
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from vmargin.chain.client import Chain

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@cache
def test_artifact(name: str) -> dict[str, Any]:
    """ABI and creation bytecode of test contract ``name`` (a harness under
    ``contracts/test/``) from forge's ``out/``: test contracts do not ship in the package."""
    path = PROJECT_ROOT / "out" / f"{name}.sol" / f"{name}.json"
    artifact = json.loads(path.read_text())
    return {"abi": artifact["abi"], "bytecode": artifact["bytecode"]["object"]}


def deploy_harness(chain: Chain, sender: LocalAccount, name: str) -> Contract:
    """Deploy test contract ``name`` with no constructor arguments."""
    return chain.deploy_artifact(sender, test_artifact(name))
