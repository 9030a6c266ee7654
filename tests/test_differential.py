"""Python twins against their Solidity originals, on Anvil, on thousands of inputs.

Each numeric library function is called through ``NumericsHarness`` with random
and edge inputs in one JSON-RPC batch and compared to the Python twin to the wei.
Inputs where both must fail are checked one by one: the contract reverts exactly
where Python raises. (Scenario losses and equity are compared on the demo's real
accounts in test_end_to_end.py.)
"""

import random

import pytest
from web3.contract import Contract

from offchain.anvil import AnvilNode
from offchain.chain import Chain, TransactionReverted, anvil_accounts
from offchain.expected_shortfall import tail_weight, weighted_lower_bound
from offchain.fixedpoint import INT256_MAX, INT256_MIN, WAD, FixedPointOverflow, mul_wad
from proofs.merkle import leaf_hash
from proofs.scenario_commitment import SCENARIO_LEAF_ENCODING

EDGES = [0, 1, -1, 2, -2, WAD - 1, WAD, WAD + 1, -WAD, 10**36, -(10**36), 7, -7]


@pytest.fixture(scope="module")
def harness(anvil: AnvilNode) -> tuple[Chain, Contract]:
    chain = Chain.connect(anvil.rpc_url)
    (deployer,) = anvil_accounts(1)
    return chain, chain.deploy(deployer, "NumericsHarness")


def random_int(rng: random.Random, bits: int) -> int:
    return rng.choice([-1, 1]) * rng.getrandbits(rng.randint(1, bits))


def test_mul_wad(harness: tuple[Chain, Contract]) -> None:
    chain, contract = harness
    rng = random.Random(1)
    pairs = [(a, b) for a in EDGES for b in EDGES]
    pairs += [(random_int(rng, 127), random_int(rng, 127)) for _ in range(3000)]
    block = chain.w3.eth.block_number
    assert chain.call_batch(contract, "mulWad", pairs, block) == [mul_wad(a, b) for a, b in pairs]
    for a, b in [(INT256_MAX, 2), (INT256_MIN, -1), (2**128, 2**128), (INT256_MAX, WAD)]:
        with pytest.raises(FixedPointOverflow):
            mul_wad(a, b)
        with pytest.raises(TransactionReverted, match="overflow"):
            chain.call(contract.functions.mulWad(a, b), block)


def test_tail_weight(harness: tuple[Chain, Contract]) -> None:
    chain, contract = harness
    rng = random.Random(2)
    cases = [(n, alpha) for n in (1, 2, 39, 40, 41, 1000, 1250) for alpha in (0, 9750, 9999)]
    cases += [(rng.randint(1, 2**32 - 1), rng.randint(0, 9999)) for _ in range(3000)]
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
    for _ in range(2000):
        n, alpha = rng.randint(1, 2000), rng.choice([9750, 9900, 9500, rng.randint(0, 9999)])
        tail = tail_weight(n, alpha)
        if tail.witness_count == 0 or tail.witness_count > 60:
            continue
        losses = [random_int(rng, rng.choice([8, 70, 120])) for _ in range(tail.witness_count)]
        cases.append((losses, tail))
    arguments = [(losses, tail.k_num, tail.frac) for losses, tail in cases]
    onchain = chain.call_batch(contract, "weightedLowerBound", arguments, chain.w3.eth.block_number)
    assert len(cases) > 1000
    assert onchain == [weighted_lower_bound(losses, tail) for losses, tail in cases]


def test_scenario_leaf(harness: tuple[Chain, Contract]) -> None:
    chain, contract = harness
    rng = random.Random(4)
    cases = [
        (rng.randint(0, 2**32), [random_int(rng, 255) for _ in range(rng.randint(0, 4))])
        for _ in range(1000)
    ]
    cases += [(0, [INT256_MIN]), (2**256 - 1, [INT256_MAX, 0])]
    onchain = chain.call_batch(contract, "scenarioLeaf", cases, chain.w3.eth.block_number)
    assert onchain == [leaf_hash(SCENARIO_LEAF_ENCODING, case) for case in cases]
