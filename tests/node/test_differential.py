"""Python twins against their Solidity originals, on Anvil, on thousands of inputs.

Each numeric library function is called through ``NumericsHarness`` with at
least 10,000 random and edge inputs in JSON-RPC batches and compared to the
Python twin to the wei.
Inputs where both must fail are checked one by one: the contract reverts exactly
where Python raises. (Scenario losses and equity are compared on the demo's real
accounts in test_end_to_end.py.)
"""

import random

import pytest
from web3.contract import Contract

from support.project import deploy_harness
from vmargin.chain.anvil import AnvilNode
from vmargin.chain.client import Chain, TransactionReverted, anvil_accounts
from vmargin.numerics.expected_shortfall import (
    rockafellar_uryasev_bound,
    tail_weight,
    weighted_lower_bound,
)
from vmargin.numerics.fixedpoint import (
    INT256_MAX,
    INT256_MIN,
    WAD,
    FixedPointOverflow,
    Rounding,
    mul_div,
    sqrt_wad,
)
from vmargin.proofs.merkle import leaf_hash
from vmargin.proofs.scenario_commitment import SCENARIO_LEAF_ENCODING

EDGES = [0, 1, -1, 2, -2, WAD - 1, WAD, WAD + 1, -WAD, 10**36, -(10**36), 7, -7]


@pytest.fixture(scope="module")
def harness(anvil: AnvilNode) -> tuple[Chain, Contract]:
    chain = Chain.connect(anvil.rpc_url)
    (deployer,) = anvil_accounts(1)
    return chain, deploy_harness(chain, deployer, "NumericsHarness")


def random_int(rng: random.Random, bits: int) -> int:
    return rng.choice([-1, 1]) * rng.getrandbits(rng.randint(1, bits))


def signed(rng: random.Random, bits: int = 255) -> int:
    """A signed integer of random bit length up to ``bits`` (log-uniform magnitudes)."""
    return rng.choice([-1, 1]) * rng.getrandbits(rng.randint(1, bits))


def test_mul_div_in_every_rounding(harness: tuple[Chain, Contract]) -> None:
    chain, contract = harness
    rng = random.Random(1)
    block = chain.w3.eth.block_number
    cases = []
    for rounding in Rounding:
        cases += [(x, y, d, rounding) for x in EDGES for y in EDGES for d in (WAD, -3, 1, 7)]
        for _ in range(2500):
            x, y = signed(rng), signed(rng)
            d = signed(rng) or 1
            # keep most results in range: a result that overflows is checked below
            if abs(x * y) // abs(d) < 2**255 - 1:
                cases.append((x, y, d, rounding))
    onchain = chain.call_batch(
        contract, "mulDiv", [(x, y, d, r.value) for x, y, d, r in cases], block
    )
    assert len(cases) >= 10_000
    assert onchain == [mul_div(x, y, d, r) for x, y, d, r in cases]
    overflowing = [
        (INT256_MAX, 2, 1),
        (INT256_MIN, -1, 1),
        (2**128, 2**128, 1),
        (INT256_MAX, INT256_MAX, 1),
        (INT256_MAX, WAD * 2, WAD),
    ]
    for x, y, d in overflowing:
        with pytest.raises(FixedPointOverflow):
            mul_div(x, y, d, Rounding.FLOOR)
        with pytest.raises(TransactionReverted, match="MulDivOverflow"):
            chain.call(contract.functions.mulDiv(x, y, d, Rounding.FLOOR.value), block)
    with pytest.raises(ZeroDivisionError):
        mul_div(1, 1, 0, Rounding.FLOOR)
    with pytest.raises(TransactionReverted, match="ZeroDenominator"):
        chain.call(contract.functions.mulDiv(1, 1, 0, 0), block)


def test_sqrt_wad(harness: tuple[Chain, Contract]) -> None:
    chain, contract = harness
    rng = random.Random(5)
    limit = (2**256 - 1) // WAD
    xs = [0, 1, 2, 3, WAD - 1, WAD, WAD + 1, 4 * WAD, limit - 1, limit]
    xs += [rng.getrandbits(rng.randint(1, limit.bit_length())) % (limit + 1) for _ in range(10_000)]
    onchain = chain.call_batch(contract, "sqrtWad", [(x,) for x in xs], chain.w3.eth.block_number)
    assert onchain == [sqrt_wad(x) for x in xs]
    for x, error in ((-1, "SqrtOfNegative"), (limit + 1, "SqrtWadOverflow")):
        with pytest.raises((ValueError, FixedPointOverflow)):
            sqrt_wad(x)
        with pytest.raises(TransactionReverted, match=error):
            chain.call(contract.functions.sqrtWad(x))


def test_tail_weight(harness: tuple[Chain, Contract]) -> None:
    chain, contract = harness
    rng = random.Random(2)
    cases = [(n, alpha) for n in (1, 2, 39, 40, 41, 1000, 1250) for alpha in (0, 9750, 9999)]
    cases += [(rng.randint(1, 2**32 - 1), rng.randint(0, 9999)) for _ in range(10_000)]
    onchain = chain.call_batch(contract, "tailWeight", cases, chain.w3.eth.block_number)
    for (n, alpha), (k_num, whole, frac, witnesses) in zip(cases, onchain, strict=True):
        tail = tail_weight(n, alpha)
        assert (k_num, whole, frac, witnesses) == (
            tail.k_num,
            tail.whole,
            tail.frac,
            tail.witness_count,
        )


def test_weighted_lower_bound(harness: tuple[Chain, Contract]) -> None:
    chain, contract = harness
    rng = random.Random(3)
    cases = []
    for _ in range(15_000):
        n, alpha = rng.randint(1, 2000), rng.choice([9750, 9900, 9500, rng.randint(0, 9999)])
        tail = tail_weight(n, alpha)
        if tail.witness_count == 0 or tail.witness_count > 60:
            continue
        losses = [random_int(rng, rng.choice([8, 70, 120])) for _ in range(tail.witness_count)]
        cases.append((losses, tail))
    arguments = [(losses, tail.k_num, tail.frac) for losses, tail in cases]
    onchain = chain.call_batch(contract, "weightedLowerBound", arguments, chain.w3.eth.block_number)
    assert len(cases) >= 10_000
    assert onchain == [weighted_lower_bound(losses, tail) for losses, tail in cases]


def test_rockafellar_uryasev_bound(harness: tuple[Chain, Contract]) -> None:
    chain, contract = harness
    rng = random.Random(6)
    cases = []
    for _ in range(10_000):
        n, alpha = rng.randint(1, 40), rng.choice([9750, 9500, rng.randint(0, 9999)])
        losses = [random_int(rng, rng.choice([8, 70, 120])) for _ in range(n)]
        threshold = rng.choice([*losses, random_int(rng, 70), 0])
        cases.append((losses, threshold, alpha))
    arguments = [
        (losses, threshold, tail_weight(len(losses), alpha).k_num)
        for losses, threshold, alpha in cases
    ]
    onchain = chain.call_batch(
        contract, "rockafellarUryasevBound", arguments, chain.w3.eth.block_number
    )
    assert onchain == [rockafellar_uryasev_bound(*case) for case in cases]


def test_scenario_leaf(harness: tuple[Chain, Contract]) -> None:
    chain, contract = harness
    rng = random.Random(4)
    cases = []
    for _ in range(10_000):
        assets = rng.randint(0, 4)
        cases.append(
            (
                rng.randint(0, 2**32),
                [random_int(rng, 255) for _ in range(assets)],
                [random_int(rng, 80) for _ in range(assets)],
            )
        )
    cases += [(0, [INT256_MIN], [INT256_MAX]), (2**256 - 1, [INT256_MAX, 0], [0, INT256_MIN])]
    onchain = chain.call_batch(contract, "scenarioLeaf", cases, chain.w3.eth.block_number)
    assert onchain == [leaf_hash(SCENARIO_LEAF_ENCODING, case) for case in cases]
