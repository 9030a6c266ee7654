"""exp_wad, ln_wad and pow_wad against Exponential.sol on Anvil.

Each function is called through ``ExponentialHarness`` on more than 10,000 random inputs
(uniform over the domain and log-uniform magnitudes) plus every edge, in JSON-RPC
batches, and compared to the Python twin to the wei. Out-of-domain inputs are checked
one by one: the contract reverts with the same error where Python raises. Accuracy
against mpmath is in ``tests/unit/test_exponential_accuracy.py``."""

import random
from collections.abc import Callable
from typing import Any

import pytest
from web3.contract import Contract

from support.exponential_inputs import RANDOM_INPUTS, exp_cases, ln_cases, pow_cases
from support.project import deploy_harness
from vmargin.chain.anvil import AnvilNode
from vmargin.chain.client import Chain, TransactionReverted, anvil_accounts
from vmargin.numerics.exponential import (
    EXP_MAX_INPUT,
    EXP_ZERO_BOUND,
    ExpOverflow,
    LnOfNonPositive,
    exp_wad,
    ln_wad,
    pow_wad,
)
from vmargin.numerics.fixedpoint import INT256_MAX, INT256_MIN, WAD, FixedPointOverflow

Harness = tuple[Chain, Contract, int]


@pytest.fixture(scope="module")
def harness(anvil: AnvilNode) -> Harness:
    chain = Chain.connect(anvil.rpc_url)
    (deployer,) = anvil_accounts(1)
    contract = deploy_harness(chain, deployer, "ExponentialHarness")
    return chain, contract, chain.w3.eth.block_number


def test_exp_wad_matches_solidity(harness: Harness) -> None:
    chain, contract, block = harness
    cases = exp_cases(random.Random(1))
    assert len(cases) > RANDOM_INPUTS
    onchain = chain.call_batch(contract, "expWad", [(x,) for x in cases], block)
    assert onchain == [exp_wad(x) for x in cases]
    assert exp_wad(EXP_ZERO_BOUND) == 0
    assert exp_wad(EXP_ZERO_BOUND + 1) == 1
    assert exp_wad(0) == WAD


def test_ln_wad_matches_solidity(harness: Harness) -> None:
    chain, contract, block = harness
    cases = ln_cases(random.Random(2))
    assert len(cases) > RANDOM_INPUTS
    onchain = chain.call_batch(contract, "lnWad", [(x,) for x in cases], block)
    assert onchain == [ln_wad(x) for x in cases]
    assert ln_wad(WAD) == 0


def test_pow_wad_matches_solidity(harness: Harness) -> None:
    chain, contract, block = harness
    cases = pow_cases(random.Random(3))
    assert len(cases) > RANDOM_INPUTS
    onchain = chain.call_batch(contract, "powWad", cases, block)
    assert onchain == [pow_wad(x, y) for x, y in cases]


def revert_of(error: TransactionReverted) -> tuple[str, tuple[Any, ...]]:
    """(error name without its contract, arguments) of a decoded revert."""
    return error.error.rsplit(".", 1)[-1], tuple(error.arguments.values())


OUT_OF_DOMAIN: list[tuple[str, tuple[int, ...], type[Exception], tuple[str, tuple[int, ...]]]] = [
    ("expWad", (EXP_MAX_INPUT + 1,), ExpOverflow, ("ExpOverflow", (EXP_MAX_INPUT + 1,))),
    ("expWad", (136 * WAD,), ExpOverflow, ("ExpOverflow", (136 * WAD,))),
    ("expWad", (INT256_MAX,), ExpOverflow, ("ExpOverflow", (INT256_MAX,))),
    ("lnWad", (0,), LnOfNonPositive, ("LnOfNonPositive", (0,))),
    ("lnWad", (-1,), LnOfNonPositive, ("LnOfNonPositive", (-1,))),
    ("lnWad", (-WAD,), LnOfNonPositive, ("LnOfNonPositive", (-WAD,))),
    ("lnWad", (INT256_MIN,), LnOfNonPositive, ("LnOfNonPositive", (INT256_MIN,))),
    ("powWad", (0, WAD), LnOfNonPositive, ("LnOfNonPositive", (0,))),
    ("powWad", (-2 * WAD, 2 * WAD), LnOfNonPositive, ("LnOfNonPositive", (-2 * WAD,))),
    ("powWad", (INT256_MIN, 0), LnOfNonPositive, ("LnOfNonPositive", (INT256_MIN,))),
    # ln(2) * 200 = 138.6 is above exp's domain; the error carries the exponent.
    ("powWad", (2 * WAD, 200 * WAD), ExpOverflow, ("ExpOverflow", (693147180559945309 * 200,))),
    # ln(int256.max) = 135305999368893231589 is itself above exp's domain.
    ("powWad", (INT256_MAX, WAD), ExpOverflow, ("ExpOverflow", (135305999368893231589,))),
    ("powWad", (INT256_MAX, WAD + 1), ExpOverflow, ("ExpOverflow", (135305999368893231724,))),
    # ln(x) * y overflows int256: checked arithmetic, Panic 0x11.
    ("powWad", (2 * WAD, INT256_MAX), FixedPointOverflow, ("Panic", (0x11,))),
    ("powWad", (WAD // 2, INT256_MIN), FixedPointOverflow, ("Panic", (0x11,))),
    ("powWad", (1, 2**250), FixedPointOverflow, ("Panic", (0x11,))),
]


@pytest.mark.parametrize(("function", "arguments", "raised", "reverted"), OUT_OF_DOMAIN)
def test_out_of_domain_fails_on_both_sides(
    harness: Harness,
    function: str,
    arguments: tuple[int, ...],
    raised: type[Exception],
    reverted: tuple[str, tuple[int, ...]],
) -> None:
    chain, contract, block = harness
    twins: dict[str, Callable[..., int]] = {"expWad": exp_wad, "lnWad": ln_wad, "powWad": pow_wad}
    twin = twins[function]
    with pytest.raises(raised) as python_error:
        twin(*arguments)
    with pytest.raises(TransactionReverted) as chain_error:
        chain.call(getattr(contract.functions, function)(*arguments), block)
    assert revert_of(chain_error.value) == reverted
    if isinstance(python_error.value, ExpOverflow | LnOfNonPositive):
        assert (type(python_error.value).__name__, (python_error.value.x,)) == reverted
