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
from mpmath import mp, mpf
from web3.contract import Contract

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

RANDOM_INPUTS = 10_000
Harness = tuple[Chain, Contract, int]


@pytest.fixture(scope="module")
def harness(anvil: AnvilNode) -> Harness:
    chain = Chain.connect(anvil.rpc_url)
    (deployer,) = anvil_accounts(1)
    contract = deploy_harness(chain, deployer, "ExponentialHarness")
    return chain, contract, chain.w3.eth.block_number


def log_uniform(rng: random.Random, max_bits: int) -> int:
    """A positive integer whose bit length is uniform in [1, max_bits]."""
    return rng.getrandbits(rng.randint(1, max_bits)) | 1


def around(*values: int) -> list[int]:
    """Each value and its neighbours at +-1 wei."""
    return [value + delta for value in values for delta in (-1, 0, 1)]


def exp_cases(rng: random.Random) -> list[int]:
    edges = around(0, WAD, -WAD, EXP_ZERO_BOUND, EXP_MAX_INPUT - 1, 10**15, -(10**15))
    edges += [EXP_ZERO_BOUND - 10**18, INT256_MIN, INT256_MIN + 1, 2, -2]
    # The range reduction's rounding boundaries, x = (k + 1/2) ln 2, for every k.
    with mp.workdps(50):
        ln2 = mp.log(2)
        edges += around(*(int((k + mpf(1) / 2) * ln2 * WAD) for k in range(-60, 195)))
    uniform = [rng.randint(EXP_ZERO_BOUND, EXP_MAX_INPUT) for _ in range(RANDOM_INPUTS // 2)]
    magnitudes = [rng.choice((-1, 1)) * log_uniform(rng, 67) for _ in range(RANDOM_INPUTS // 2)]
    magnitudes = [x for x in magnitudes if x <= EXP_MAX_INPUT]
    return edges + uniform + magnitudes


def ln_cases(rng: random.Random) -> list[int]:
    edges = around(WAD, 2 * WAD, WAD // 2, 10 * WAD, 10**36, INT256_MAX - 1)
    edges += [1, 2, 3, INT256_MAX, *around(*(2**bits for bits in range(1, 255)))]
    magnitudes = [log_uniform(rng, 255) for _ in range(RANDOM_INPUTS // 2)]
    magnitudes = [x for x in magnitudes if x <= INT256_MAX]
    near_one = [rng.randint(1, 10 * WAD) for _ in range(RANDOM_INPUTS // 2)]
    return edges + magnitudes + near_one


def in_pow_domain(x: int, y: int) -> bool:
    try:
        pow_wad(x, y)
    except (ExpOverflow, FixedPointOverflow, LnOfNonPositive):
        return False
    return True


def pow_cases(rng: random.Random) -> list[tuple[int, int]]:
    """In-domain (x, y): log-uniform x and y, and y aimed at a random exponent, for
    log-uniform x and for x near 1 (where a large |y| stays in the domain)."""
    cases = [
        (WAD, 0),
        (WAD, INT256_MAX),
        (WAD, INT256_MIN),
        (1, 0),
        (1, 1),
        (1, -1),
        (INT256_MAX, WAD - 1),
        (INT256_MAX, -WAD),
        (WAD, 1),
        (WAD, -1),
        (2 * WAD, 1),
        (2 * WAD, -1),
        (2 * WAD, WAD // 2),
        (WAD // 2, 100 * WAD),
        (WAD + 1, WAD),
        (WAD - 1, -WAD),
        (3, -(10**18)),
    ]
    assert all(in_pow_domain(x, y) for x, y in cases)
    edges = len(cases)
    while len(cases) < edges + RANDOM_INPUTS:
        kind = rng.randrange(3)
        near_one = WAD + rng.choice((-1, 1)) * log_uniform(rng, 59)
        x = log_uniform(rng, 200) if kind < 2 else near_one
        if kind == 0:
            y = rng.choice((-1, 1)) * log_uniform(rng, 90)
        else:
            ln_x = ln_wad(x)
            if ln_x == 0:
                continue
            y = rng.randint(EXP_ZERO_BOUND - WAD, EXP_MAX_INPUT) * WAD // ln_x
        if in_pow_domain(x, y):
            cases.append((x, y))
    return cases


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
    twin: Callable[..., int] = {"expWad": exp_wad, "lnWad": ln_wad, "powWad": pow_wad}[function]
    with pytest.raises(raised) as python_error:
        twin(*arguments)
    with pytest.raises(TransactionReverted) as chain_error:
        chain.call(getattr(contract.functions, function)(*arguments), block)
    assert revert_of(chain_error.value) == reverted
    if isinstance(python_error.value, ExpOverflow | LnOfNonPositive):
        assert (type(python_error.value).__name__, (python_error.value.x,)) == reverted
