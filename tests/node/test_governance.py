"""Timelocked ownership on Anvil (``vmargin.chain.governance``): after the hand-over the former
owner's key changes nothing, and a scheduled change binds only once the delay has passed.
The tests move the node's clock, so they run on a node of their own: on the session's node
the demo's price feeds would go stale for every later module."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.node import rpc
from vmargin.chain.anvil import AnvilNode
from vmargin.chain.client import Chain, TransactionReverted, anvil_accounts
from vmargin.chain.deployment import RiskParameters, deploy_vmargin
from vmargin.chain.governance import execute, hand_over_to_timelock, owner_call, schedule
from vmargin.chain.scenario_registry import (
    post_scenario_set,
    read_scenario_set,
    scenario_set_calls,
)
from vmargin.cli.main import main
from vmargin.numerics.fixedpoint import WAD
from vmargin.oracle.scenario_file import read_scenario_file

DELAY = 3600
SPOT_RETURNS = tuple((r * WAD // 100,) for r in (-20, -5, 0, 3, 10))
VOL_SHIFTS = tuple((0,) for _ in SPOT_RETURNS)


@pytest.fixture(scope="module")
def anvil() -> Iterator[AnvilNode]:
    """A node of this module's own, stopped at its end."""
    with AnvilNode(accounts=10) as node:
        yield node


def test_a_timelocked_deployment_changes_only_after_the_delay(anvil: AnvilNode) -> None:
    chain = Chain.connect(anvil.rpc_url)
    owner, backstop = anvil_accounts(2)
    deployment = deploy_vmargin(
        chain, owner, backstop=backstop.address, assets=("ETH",), risk=RiskParameters()
    )
    post_scenario_set(
        chain,
        owner,
        deployment.registry,
        spot_returns=SPOT_RETURNS,
        vol_shifts=VOL_SHIFTS,
        alpha_bps=8000,
    )
    timelock = hand_over_to_timelock(deployment, owner, DELAY)
    clearinghouse, registry = deployment.clearinghouse, deployment.registry
    for contract in (clearinghouse, deployment.oracle, registry):
        assert chain.call(contract.functions.owner()) == timelock.address

    with pytest.raises(TransactionReverted) as refused:
        chain.transact(owner, clearinghouse.functions.setMaxFundingRate(WAD // 100))
    assert refused.value.error.endswith("OwnableUnauthorizedAccount")
    with pytest.raises(TransactionReverted) as refused:
        post_scenario_set(
            chain, owner, registry, spot_returns=SPOT_RETURNS, vol_shifts=VOL_SHIFTS, alpha_bps=9000
        )
    assert refused.value.error.endswith("OwnableUnauthorizedAccount")

    epoch = chain.call(registry.functions.lastEpoch()) + 1
    calls = [
        owner_call(clearinghouse, "setRiskParameters", 2 * WAD, WAD // 50, WAD // 4),
        *scenario_set_calls(
            registry,
            epoch,
            spot_returns=SPOT_RETURNS,
            vol_shifts=VOL_SHIFTS,
            alpha_bps=9000,
            chunk=2,
        ),
    ]
    salt = b"\x01" * 32
    schedule(chain, owner, timelock, calls, salt)
    with pytest.raises(TransactionReverted) as early:
        execute(chain, owner, timelock, calls, salt)
    assert early.value.error.endswith("TimelockUnexpectedOperationState")
    assert chain.call(clearinghouse.functions.maintenanceMarginFactor()) == WAD
    assert chain.call(registry.functions.currentEpoch()) == epoch - 1

    rpc(chain, "evm_increaseTime", DELAY)
    rpc(chain, "evm_mine")
    execute(chain, owner, timelock, calls, salt)
    assert chain.call(clearinghouse.functions.maintenanceMarginFactor()) == 2 * WAD
    assert chain.call(registry.functions.currentEpoch()) == epoch
    published = read_scenario_set(chain, registry, epoch)
    assert (published.spot_returns, published.alpha_bps) == (SPOT_RETURNS, 9000)


def test_scenarios_post_through_the_timelock_schedules_then_executes(
    anvil: AnvilNode, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    chain = Chain.connect(anvil.rpc_url)
    owner = anvil_accounts(1)[0]
    registry = chain.deploy(owner, "ScenarioRegistry", owner.address)
    timelock = chain.deploy(owner, "ParameterTimelock", DELAY, [owner.address], [owner.address])
    chain.transact(owner, registry.functions.transferOwnership(timelock.address))
    path = tmp_path / "set.json"
    build = ["scenarios", "build", "--method", "historical", "--assets", "ETH", "--window", "50"]
    assert main([*build, "-o", str(path)]) == 0
    post = ["scenarios", "post", str(path), "--rpc-url", anvil.rpc_url]
    post += ["--registry", registry.address, "--key", "0x" + owner.key.hex()]
    capsys.readouterr()

    assert main([*post, "--execute"]) == 1
    assert capsys.readouterr().err == "vmargin: --execute needs --timelock\n"
    assert main([*post, "--timelock", "0x1234"]) == 1
    assert capsys.readouterr().err == (
        "vmargin: ParameterTimelock '0x1234' is not an address (40 hex digits, in one case or "
        "checksummed)\n"
    )
    assert main(post) == 1
    assert "OwnableUnauthorizedAccount" in capsys.readouterr().err

    assert main([*post, "--timelock", timelock.address]) == 0
    assert "scheduled as epoch 1 in 2 calls" in capsys.readouterr().out
    assert main([*post, "--timelock", timelock.address, "--execute"]) == 1
    assert "TimelockUnexpectedOperationState" in capsys.readouterr().err
    assert read_scenario_file(path).epoch is None

    rpc(chain, "evm_increaseTime", DELAY)
    rpc(chain, "evm_mine")
    assert main([*post, "--timelock", timelock.address, "--execute"]) == 0
    assert capsys.readouterr().out.startswith(f"{path}: posted as epoch 1, root 0x")
    posted = read_scenario_file(path)
    assert posted.epoch == 1
    assert read_scenario_set(chain, registry, 1).tree.root == posted.root
