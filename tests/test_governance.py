"""Timelocked ownership on Anvil (``offchain.governance``): after the hand-over the former
owner's key changes nothing, and a scheduled change binds only once the delay has passed."""

from typing import Any

import pytest

from offchain.anvil import AnvilNode
from offchain.chain import Chain, TransactionReverted, anvil_accounts
from offchain.deployment import RiskParameters, deploy_vmargin
from offchain.fixedpoint import WAD
from offchain.governance import execute, hand_over_to_timelock, owner_call, schedule
from offchain.scenario_registry import (
    post_scenario_set,
    read_scenario_set,
    scenario_set_calls,
)

DELAY = 3600
SPOT_RETURNS = tuple((r * WAD // 100,) for r in (-20, -5, 0, 3, 10))
VOL_SHIFTS = tuple((0,) for _ in SPOT_RETURNS)


def rpc(chain: Chain, method: str, *params: Any) -> None:
    response = chain.w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
    assert "error" not in response, response


def test_a_timelocked_deployment_changes_only_after_the_delay(anvil: AnvilNode) -> None:
    chain = Chain.connect(anvil.rpc_url)
    owner, backstop = anvil_accounts(2)
    deployment = deploy_vmargin(chain, owner, backstop.address, ("ETH",), RiskParameters())
    post_scenario_set(chain, owner, deployment.registry, SPOT_RETURNS, VOL_SHIFTS, 8000)
    timelock = hand_over_to_timelock(deployment, owner, DELAY)
    clearinghouse, registry = deployment.clearinghouse, deployment.registry
    for contract in (clearinghouse, deployment.oracle, registry):
        assert chain.call(contract.functions.owner()) == timelock.address

    with pytest.raises(TransactionReverted) as refused:
        chain.transact(owner, clearinghouse.functions.setMaxFundingRate(WAD // 100))
    assert refused.value.error.endswith("OwnableUnauthorizedAccount")
    with pytest.raises(TransactionReverted) as refused:
        post_scenario_set(chain, owner, registry, SPOT_RETURNS, VOL_SHIFTS, 9000)
    assert refused.value.error.endswith("OwnableUnauthorizedAccount")

    epoch = chain.call(registry.functions.lastEpoch()) + 1
    calls = [
        owner_call(clearinghouse, "setRiskParameters", 2 * WAD, WAD // 50, WAD // 4),
        *scenario_set_calls(registry, epoch, SPOT_RETURNS, VOL_SHIFTS, 9000, chunk=2),
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
