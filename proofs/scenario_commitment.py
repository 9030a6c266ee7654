"""The commitment of a scenario set: one StandardMerkleTree leaf per scenario.

Leaf encoding ``["uint256", "int256[]", "int256[]"]``: the scenario's 0-based
index, its WAD spot returns and its WAD implied-vol shifts, one each per asset in
the registry's asset order. The index is in the leaf so that a certificate cannot
present one scenario under two indices.
Solidity twin: ``contracts/libraries/ScenarioLeaf.sol``. The tree commits to any int256
values; certificates carry only scenarios in the domain ``check_scenario_domain`` states
(twin: the ``ScenarioOutOfDomain`` check of ``contracts/MarginEngine.sol``).
"""

from collections.abc import Sequence

from vmargin.errors import InputError
from vmargin.numerics.black_scholes import MAX_VOLATILITY
from vmargin.numerics.fixedpoint import WAD
from vmargin.proofs.merkle import StandardMerkleTree

SCENARIO_LEAF_ENCODING = ("uint256", "int256[]", "int256[]")

MAX_SPOT_RETURN = 100 * WAD
"""The largest spot return a certificate's scenario may carry: +10,000%, the price times
101 (``MarginEngine.MAX_SPOT_RETURN``). The smallest is above -100%: a price stays positive."""


class ScenarioOutOfDomain(InputError):
    """A scenario's spot return or vol shift is outside what a certificate may carry; the
    contract reverts ``MarginEngine.ScenarioOutOfDomain`` on the same scenario."""


def check_scenario_domain(
    index: int, spot_returns: Sequence[int], vol_shifts: Sequence[int]
) -> None:
    """Raise ScenarioOutOfDomain, naming the first asset outside, unless every spot return
    of scenario ``index`` is in ``(-WAD, MAX_SPOT_RETURN]`` and every vol shift in
    ``[-MAX_VOLATILITY, MAX_VOLATILITY]``. Inside, a scenario value cannot by itself
    overflow a loss: the shocked spot is at most 101 times the mark and the shocked vol is
    clamped to [0, MAX_VOLATILITY]."""
    for asset, (spot_return, vol_shift) in enumerate(zip(spot_returns, vol_shifts, strict=True)):
        if not (
            -WAD < spot_return <= MAX_SPOT_RETURN and -MAX_VOLATILITY <= vol_shift <= MAX_VOLATILITY
        ):
            raise ScenarioOutOfDomain(
                f"scenario {index}, asset {asset}: spot return {spot_return}, vol shift "
                f"{vol_shift}; a certificate carries returns in (-{WAD}, {MAX_SPOT_RETURN}] "
                f"and shifts in [-{MAX_VOLATILITY}, {MAX_VOLATILITY}]"
            )


def scenario_tree(
    spot_returns: Sequence[Sequence[int]], vol_shifts: Sequence[Sequence[int]]
) -> StandardMerkleTree:
    """The Merkle tree over scenarios ``(index, spot_returns[index], vol_shifts[index])``."""
    return StandardMerkleTree.of(
        [
            (index, list(returns), list(shifts))
            for index, (returns, shifts) in enumerate(zip(spot_returns, vol_shifts, strict=True))
        ],
        SCENARIO_LEAF_ENCODING,
    )
