"""The domain of scenarios a certificate may carry, off chain and on Anvil.

A spot return in (-100%, +10,000%] and a vol shift within +-100 vol
(``vmargin.proofs.scenario_commitment.check_scenario_domain``, twin of the ``ScenarioOutOfDomain``
check of ``MarginEngine``): the tree commits to any int256, but no certificate may carry a
scenario outside, and both sides refuse the same scenarios with the same numbers.
"""

from decimal import Decimal

import numpy as np
import pytest
from eth_account.signers.local import LocalAccount

from vmargin.chain.anvil import AnvilNode
from vmargin.chain.client import Chain, TransactionReverted, anvil_accounts
from vmargin.chain.deployment import Deployment, RiskParameters, deploy_vmargin
from vmargin.chain.scenario_registry import post_scenario_set
from vmargin.numerics.black_scholes import MAX_VOLATILITY
from vmargin.numerics.fixedpoint import INT256_MAX, INT256_MIN, WAD
from vmargin.oracle.feeds import push_price
from vmargin.oracle.scenario_file import quantize_scenarios
from vmargin.oracle.scenarios import ScenarioSet
from vmargin.proofs.certificate import (
    LiquidationCertificate,
    margin_certificate,
    witness_certificate,
)
from vmargin.proofs.scenario_commitment import (
    MAX_SPOT_RETURN,
    ScenarioOutOfDomain,
    check_scenario_domain,
    scenario_tree,
)

INSIDE = [
    (-WAD + 1, 0),
    (MAX_SPOT_RETURN, 0),
    (0, MAX_VOLATILITY),
    (0, -MAX_VOLATILITY),
]
OUTSIDE = [
    (-WAD, 0),
    (-2 * WAD, 0),
    (INT256_MIN, 0),
    (MAX_SPOT_RETURN + 1, 0),
    (10**57, 0),
    (INT256_MAX, 0),
    (0, MAX_VOLATILITY + 1),
    (0, -MAX_VOLATILITY - 1),
    (0, INT256_MAX),
    (0, INT256_MIN),
]


@pytest.mark.parametrize(("spot_return", "vol_shift"), INSIDE)
def test_the_ends_of_the_domain_are_inside(spot_return: int, vol_shift: int) -> None:
    check_scenario_domain(3, [0, spot_return], [0, vol_shift])


@pytest.mark.parametrize(("spot_return", "vol_shift"), OUTSIDE)
def test_one_step_outside_is_refused_naming_scenario_and_asset(
    spot_return: int, vol_shift: int
) -> None:
    with pytest.raises(
        ScenarioOutOfDomain,
        match=rf"scenario 3, asset 1: spot return {spot_return}, vol shift {vol_shift};",
    ):
        check_scenario_domain(3, [0, spot_return], [0, vol_shift])


def _returns_with(
    index: int, spot_return: int, vol_shift: int
) -> tuple[list[list[int]], list[list[int]]]:
    returns = [[-WAD // 20 * i] for i in range(8)]
    shifts = [[0] for _ in range(8)]
    returns[index], shifts[index] = [spot_return], [vol_shift]
    return returns, shifts


def test_certificates_carry_no_committed_scenario_out_of_domain() -> None:
    """Scenario 3 commits -200%: every margin certificate and any liquidation certificate
    naming it are refused; one that does not name it is built (as the contract accepts it)."""
    tree = scenario_tree(*_returns_with(3, -2 * WAD, 0))
    with pytest.raises(ScenarioOutOfDomain, match="scenario 3, asset 0"):
        witness_certificate(1, tree, [3, 6])
    with pytest.raises(ScenarioOutOfDomain, match="scenario 3, asset 0"):
        margin_certificate(1, tree, [0] * 8, 7500)
    assert witness_certificate(1, tree, [5, 6]).indices == (5, 6)


def test_scenario_sets_are_built_only_inside_the_domain() -> None:
    with pytest.raises(ScenarioOutOfDomain, match="scenario 1, asset 0: spot return"):
        ScenarioSet(
            assets=("ETH",),
            alpha_bps=7500,
            spot_returns=((0,), (MAX_SPOT_RETURN + 1,)),
            vol_shifts=((0,), (0,)),
            description="out of domain",
        )
    with pytest.raises(ScenarioOutOfDomain, match=r"scenario 0, asset 0: spot return 0, vol"):
        quantize_scenarios(
            ("ETH",),
            np.array([[0.0], [0.1]]),
            np.array([[-101.0], [0.0]]),
            stress=np.array([False, False]),
            alpha_bps=7500,
            method="historical",
            parameters={},
            source="test",
        )


@pytest.fixture(scope="module")
def chain_and_clearinghouse(anvil: AnvilNode) -> tuple[Chain, LocalAccount, Deployment]:
    """One asset at 2000 and an 8-scenario epoch per case, on a fresh deployment."""
    chain = Chain.connect(anvil.rpc_url)
    owner, backstop = anvil_accounts(2)
    deployment = deploy_vmargin(
        chain, owner, backstop=backstop.address, assets=("ETH",), risk=RiskParameters()
    )
    push_price(chain, owner, deployment.aggregators[0], Decimal("2000"))
    return chain, owner, deployment


def test_the_contract_refuses_exactly_the_scenarios_python_refuses(
    chain_and_clearinghouse: tuple[Chain, LocalAccount, Deployment],
) -> None:
    chain, owner, deployment = chain_and_clearinghouse
    account = owner.address
    for spot_return, vol_shift in INSIDE + OUTSIDE:
        returns, shifts = _returns_with(3, spot_return, vol_shift)
        epoch = post_scenario_set(
            chain,
            owner,
            deployment.registry,
            spot_returns=tuple(map(tuple, returns)),
            vol_shifts=tuple(map(tuple, shifts)),
            alpha_bps=7500,
        )
        tree = scenario_tree(returns, shifts)
        certificate = LiquidationCertificate(
            epoch=epoch,
            indices=(3, 6),
            spot_returns=(tuple(returns[3]), tuple(returns[6])),
            vol_shifts=(tuple(shifts[3]), tuple(shifts[6])),
            proofs=(tuple(tree.proof(3)), tuple(tree.proof(6))),
        )
        function = deployment.clearinghouse.functions.isLiquidatable(account, certificate.as_abi())
        try:
            check_scenario_domain(3, returns[3], shifts[3])
        except ScenarioOutOfDomain:
            with pytest.raises(TransactionReverted) as refusal:
                chain.call(function)
            assert refusal.value.error == "MarginEngine.ScenarioOutOfDomain"
            assert refusal.value.arguments == {
                "index": 3,
                "asset": 0,
                "spotReturn": spot_return,
                "volShift": vol_shift,
            }
        else:
            assert chain.call(function)[3] is False  # an empty account: no loss, not liquidatable
