"""The domain of scenarios a certificate may carry, off chain.

A spot return in (-100%, +10,000%] and a vol shift within +-100 vol
(``vmargin.proofs.scenario_commitment.check_scenario_domain``, twin of the
``ScenarioOutOfDomain`` check of ``MarginEngine``): the tree commits to any int256, but
no certificate may carry a scenario outside. The contract's side is in
``tests/node/test_scenario_domain_on_chain.py``."""

import numpy as np
import pytest

from support.scenario_domain import INSIDE, OUTSIDE
from vmargin.numerics.fixedpoint import WAD
from vmargin.oracle.scenario_file import quantize_scenarios
from vmargin.oracle.scenarios import ScenarioSet
from vmargin.proofs.certificate import (
    margin_certificate,
    witness_certificate,
)
from vmargin.proofs.scenario_commitment import (
    MAX_SPOT_RETURN,
    ScenarioOutOfDomain,
    check_scenario_domain,
    scenario_tree,
)


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
