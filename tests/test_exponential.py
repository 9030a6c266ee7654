"""exp_wad, ln_wad and pow_wad against Exponential.sol on Anvil, and against mpmath.

Each function is called through ``ExponentialHarness`` on more than 10,000 random inputs
(uniform over the domain and log-uniform magnitudes) plus every edge, in JSON-RPC
batches, and compared to the Python twin to the wei. Out-of-domain inputs are checked
one by one: the contract reverts with the same error where Python raises. The accuracy
bounds asserted against mpmath (50 digits) are the ones measured by
benchmarks/accuracy_exponential.py, with a little margin.
"""

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
ACCURACY_SUBSET = 5_000

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
    twins: dict[str, Callable[..., int]] = {"expWad": exp_wad, "lnWad": ln_wad, "powWad": pow_wad}
    twin = twins[function]
    with pytest.raises(raised) as python_error:
        twin(*arguments)
    with pytest.raises(TransactionReverted) as chain_error:
        chain.call(getattr(contract.functions, function)(*arguments), block)
    assert revert_of(chain_error.value) == reverted
    if isinstance(python_error.value, ExpOverflow | LnOfNonPositive):
        assert (type(python_error.value).__name__, (python_error.value.x,)) == reverted


def test_bounds_are_exact() -> None:
    """EXP_MAX_INPUT = floor(ln((2**255 - 1) / 1e18) * 1e18) - 1 (Solady's bound, one
    below the last input whose exact result fits), EXP_ZERO_BOUND = floor(ln(1e-18) * 1e18),
    and the result at EXP_MAX_INPUT fits in int256."""
    with mp.workdps(80):
        assert int(mp.floor(mp.log(mpf(INT256_MAX) / WAD) * WAD)) == EXP_MAX_INPUT + 1
        assert int(mp.floor(mp.log(mpf(1) / WAD) * WAD)) == EXP_ZERO_BOUND
    assert exp_wad(EXP_MAX_INPUT) <= INT256_MAX
    with pytest.raises(ExpOverflow, match="does not fit in int256"):
        exp_wad(EXP_MAX_INPUT + 1)
    with pytest.raises(LnOfNonPositive, match="non-positive"):
        ln_wad(0)


# ------------------------------------------------------------------ accuracy vs mpmath


def test_exp_wad_accuracy() -> None:
    """|exp_wad(x) - e^x| < max(e^x, 1) * 1e-18: below 1 wei for results below 1, below
    1e-18 relative above; and at most 0.02 of that above the exact value (the approximation
    rounds down)."""
    rng = random.Random(4)
    cases = rng.sample(exp_cases(rng), ACCURACY_SUBSET)
    cases = [x for x in cases if EXP_ZERO_BOUND < x <= EXP_MAX_INPUT]
    with mp.workdps(50):
        exact = [mp.exp(mpf(x) / WAD) * WAD for x in cases]
        scaled = [(exp_wad(x) - e) / max(e, WAD) * WAD for x, e in zip(cases, exact, strict=True)]
        low, high = min(scaled), max(scaled)
    assert low > -1 and high < mpf("0.02"), (low, high)


def test_ln_wad_accuracy() -> None:
    """-1.06 wei < ln_wad(x) - ln(x) < 0.06 wei."""
    rng = random.Random(5)
    cases = rng.sample(ln_cases(rng), ACCURACY_SUBSET)
    with mp.workdps(50):
        errors = [ln_wad(x) - mp.log(mpf(x) / WAD) * WAD for x in cases]
        low, high = min(errors), max(errors)
    assert low > mpf("-1.06") and high < mpf("0.06"), (low, high)


def test_pow_wad_accuracy() -> None:
    """|pow_wad(x, y) - x^y| <= 2 (1 + |y|) max(x^y, 1) 1e-18 (ln's ~1 wei error is
    multiplied by y; below 1 wei more each from the exponent's truncation and from exp)."""
    rng = random.Random(6)
    cases = rng.sample(pow_cases(rng), ACCURACY_SUBSET)
    worst = mpf(0)
    with mp.workdps(50):
        for x, y in cases:
            exact = mp.power(mpf(x) / WAD, mpf(y) / WAD) * WAD
            bound = max(exact, WAD) * (1 + abs(mpf(y)) / WAD)
            worst = max(worst, abs(pow_wad(x, y) - exact) / bound * WAD)
    assert worst <= 2, worst
