"""vmargin.proofs.merkle against OpenZeppelin's @openzeppelin/merkle-tree, run in Node."""

import json
import random
import subprocess

import pytest

from support.project import PROJECT_ROOT
from vmargin.proofs.merkle import StandardMerkleTree, leaf_hash, process_proof
from vmargin.proofs.scenario_commitment import SCENARIO_LEAF_ENCODING, scenario_tree

INT256_MAX = 2**255 - 1


def openzeppelin_tree(spot_returns: list[list[int]], vol_shifts: list[list[int]]) -> dict:
    request = {
        "encoding": list(SCENARIO_LEAF_ENCODING),
        "values": [
            [str(index), [str(r) for r in returns], [str(v) for v in shifts]]
            for index, (returns, shifts) in enumerate(zip(spot_returns, vol_shifts, strict=True))
        ],
    }
    result = subprocess.run(
        ["node", str(PROJECT_ROOT / "tests" / "js" / "oz_merkle.mjs")],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=True,
        cwd=PROJECT_ROOT,
    )
    return json.loads(result.stdout)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 1000])
def test_root_and_every_proof_match_openzeppelin(size: int) -> None:
    rng = random.Random(size)
    edges = [0, 1, -1, INT256_MAX, -INT256_MAX - 1, 10**18, -(10**18)]

    def value() -> int:
        return rng.choice(edges) if rng.random() < 0.2 else rng.randint(-(10**18), 10**18)

    spot_returns = [[value()] for _ in range(size)]
    vol_shifts = [[value()] for _ in range(size)]
    tree = scenario_tree(spot_returns, vol_shifts)
    reference = openzeppelin_tree(spot_returns, vol_shifts)
    assert "0x" + tree.root.hex() == reference["root"]
    for index in range(size):
        assert ["0x" + node.hex() for node in tree.proof(index)] == reference["proofs"][index]
        assert process_proof(tree.leaf(index), tree.proof(index)) == tree.root


def test_multi_asset_leaves_match_openzeppelin() -> None:
    spot_returns = [[i, -i, 3 * i] for i in range(-5, 6)]
    vol_shifts = [[0, 2 * i, -i] for i in range(-5, 6)]
    reference = openzeppelin_tree(spot_returns, vol_shifts)
    assert "0x" + scenario_tree(spot_returns, vol_shifts).root.hex() == reference["root"]


def test_a_changed_value_breaks_its_proof() -> None:
    tree = scenario_tree([[1], [2], [3], [4], [5]], [[0], [0], [0], [0], [0]])
    assert (
        process_proof(leaf_hash(SCENARIO_LEAF_ENCODING, (2, [3], [0])), tree.proof(2)) == tree.root
    )
    for forged in ((2, [4], [0]), (2, [3], [1]), (1, [3], [0])):
        assert process_proof(leaf_hash(SCENARIO_LEAF_ENCODING, forged), tree.proof(2)) != tree.root


def test_empty_tree_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one value"):
        StandardMerkleTree.of([], SCENARIO_LEAF_ENCODING)
