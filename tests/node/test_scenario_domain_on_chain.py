"""The domain of scenarios a certificate may carry, on Anvil: the contract refuses the same
scenarios as ``check_scenario_domain`` with the same numbers."""

from decimal import Decimal

import pytest
from eth_account.signers.local import LocalAccount

from support.scenario_domain import INSIDE, OUTSIDE
from vmargin.chain.anvil import AnvilNode
from vmargin.chain.client import Chain, TransactionReverted, anvil_accounts
from vmargin.chain.deployment import Deployment, RiskParameters, deploy_vmargin
from vmargin.chain.scenario_registry import post_scenario_set
from vmargin.numerics.fixedpoint import WAD
from vmargin.oracle.feeds import push_price
from vmargin.proofs.certificate import (
    LiquidationCertificate,
)
from vmargin.proofs.scenario_commitment import (
    ScenarioOutOfDomain,
    check_scenario_domain,
    scenario_tree,
)


def _returns_with(
    index: int, spot_return: int, vol_shift: int
) -> tuple[list[list[int]], list[list[int]]]:
    returns = [[-WAD // 20 * i] for i in range(8)]
    shifts = [[0] for _ in range(8)]
    returns[index], shifts[index] = [spot_return], [vol_shift]
    return returns, shifts


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
