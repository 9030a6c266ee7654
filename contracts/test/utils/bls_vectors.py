"""Print ``BlsVectors.sol``: the BLS values the forge tests of BN254, OperatorRegistry and
AttestedMargin use (forge cannot compute a BLS signature), from the Python twins.

From the repository root::

    PYTHONPATH=. .venv/bin/python contracts/test/utils/bls_vectors.py \\
        > contracts/test/utils/BlsVectors.sol
    node_modules/.bin/forge fmt contracts/test/utils/BlsVectors.sol

A proof of possession names the registry and an attestation's digest names the
AttestedMargin contract, so both depend on where the tests deploy them: forge runs every
test contract at TEST_CONTRACT on chain 31337, and its n-th ``new`` (n = 1, 2, ...) lands
at ``create_address(TEST_CONTRACT, n)``. The suites deploy in the order REGISTRY_NONCE and
ATTESTED_MARGIN_NONCE assume and assert the resulting addresses; change their setUp order
and rerun this script.
"""

from collections.abc import Sequence
from decimal import Decimal

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from vmargin.attestation.attested_margin import PORTFOLIO_TYPE
from vmargin.numerics.fixedpoint import WAD, Rounding, mul_wad
from vmargin.proofs.attestation import Attestation, attestation_digest
from vmargin.proofs.bls import (
    BlsKey,
    P,
    aggregate_g1,
    g1_words,
    g2_words,
    hash_to_g1,
    key_from_secret,
    sign,
)
from vmargin.proofs.merkle import hash_pair
from vmargin.proofs.quorum import proof_of_possession, quorum_signature

CHAIN_ID = 31337
TEST_CONTRACT = "0x7FA9385bE102ac3EAc297483Dd6233D62b3e1496"
REGISTRY_NONCE = 2
ATTESTED_MARGIN_NONCE = 6

SECRETS = (7919 + 2**160, 2 * 7919 + 2**160, 3 * 7919 + 2**160, 4 * 7919 + 2**160)
OPERATORS = tuple(to_checksum_address(f"0x{0xF001 + i:040x}") for i in range(len(SECRETS)))
QUORUM_DIGEST = bytes.fromhex("a7" * 32)
QUORUM_SIGNERS = (1, 3)
HASH_DIGESTS = (
    bytes(32),
    (1).to_bytes(32, "big"),
    (P - 1).to_bytes(32, "big"),
    (2**256 - 1).to_bytes(32, "big"),
    keccak(text="vmargin"),
)

# The attested state: one asset (ETH), ALICE long 2 ETH at a 2000 mark with a 1000 balance.
ALICE = to_checksum_address("0x00000000000000000000000000000000000A11CE")
BALANCE = 1000 * WAD
EXPOSURE = 2 * WAD
SPOT = 2000 * WAD
SCENARIO_RETURNS = (
    -87_654_321_987_654_321,
    -50_000_000_000_000_000,
    20_000_000_000_000_000,
    -200_000_000_000_000_000,
    50_000_000_000_000_000,
    -12_345_678_901_234_567,
    -150_000_000_000_000_000,
    100_000_000_000_000_000,
)
ALPHA_BPS = 7500
IM_FACTOR = 3 * WAD // 2
LIQUIDITY_ADD_ON = WAD // 100
# Understated: the two worst scenarios (-20%, -15%) make ES = (800 + 600) / 2 = 700.
EXPECTED_SHORTFALL = 500 * WAD
START = 1_700_000_000
BLOCK_NUMBER = 99
VALUATION_TIME = START - 12
EXPIRY = START + 600


def create_address(sender: str, nonce: int) -> str:
    """The address of the contract ``sender`` creates with ``nonce`` (1 <= nonce < 128)."""
    assert 0 < nonce < 0x80
    rlp = bytes([0xD6, 0x94]) + bytes.fromhex(sender[2:]) + bytes([nonce])
    return to_checksum_address(keccak(rlp)[12:])


def scenario_root(returns: Sequence[int]) -> bytes:
    """``ScenarioMerkle.root(ScenarioMerkle.leaves(s))`` for one-asset scenarios ``returns``."""
    nodes = [
        keccak(keccak(encode(["uint256", "int256[]", "int256[]"], [i, [r], [0]])))
        for i, r in enumerate(returns)
    ]
    while len(nodes) > 1:
        nodes = [
            hash_pair(nodes[i], nodes[i + 1]) if i + 1 < len(nodes) else nodes[i]
            for i in range(0, len(nodes), 2)
        ]
    return nodes[0]


def wad(value: int) -> str:
    """``value`` as a Solidity literal in units of 1e18 when that is exact and short."""
    text = f"{Decimal(value) / WAD:f}"
    return f"{text}e18" if len(text) <= 8 else str(value)


def hex32(value: bytes) -> str:
    return "0x" + value.hex()


def g1(point: tuple[int, int]) -> str:
    x, y = g1_words(point)
    return f"BN254.G1Point({x}, {y})"


def g2(point: tuple) -> str:
    x_imag, x_real, y_imag, y_real = g2_words(point)
    return f"BN254.G2Point([uint256({x_imag}), {x_real}], [uint256({y_imag}), {y_real}])"


def by_index(name: str, kind: str, values: Sequence[str], doc: str) -> str:
    branches = "\n".join(
        f"        if (i == {i}) return {value};" for i, value in enumerate(values[:-1])
    )
    return f"""
    /// @notice {doc}
    function {name}(uint256 i) internal pure returns ({kind}) {{
{branches}
        require(i == {len(values) - 1}, "BlsVectors: no such index");
        return {values[-1]};
    }}
"""


def main() -> None:
    registry = create_address(TEST_CONTRACT, REGISTRY_NONCE)
    attested_margin = create_address(TEST_CONTRACT, ATTESTED_MARGIN_NONCE)
    keys: tuple[BlsKey, ...] = tuple(key_from_secret(s) for s in SECRETS)
    pops = [
        proof_of_possession(key, CHAIN_ID, registry, account)
        for key, account in zip(keys, OPERATORS, strict=True)
    ]
    signers = {i: keys[i] for i in QUORUM_SIGNERS}
    quorum = quorum_signature(signers, QUORUM_DIGEST)
    apk_g1 = aggregate_g1([key.public_g1 for key in signers.values()])
    bitmap = sum(1 << i for i in QUORUM_SIGNERS)

    state_hash = keccak(
        encode([PORTFOLIO_TYPE, "int256[]", "int256[]"], [(BALANCE, [EXPOSURE], []), [SPOT], [0]])
    )
    root = scenario_root(SCENARIO_RETURNS)
    gross_notional = EXPOSURE * SPOT // WAD
    initial_margin = mul_wad(IM_FACTOR, EXPECTED_SHORTFALL, Rounding.CEIL) + mul_wad(
        LIQUIDITY_ADD_ON, gross_notional, Rounding.CEIL
    )
    attestation = Attestation(
        chain_id=CHAIN_ID,
        account=ALICE,
        state_hash=state_hash,
        epoch=1,
        scenario_root=root,
        alpha_bps=ALPHA_BPS,
        expected_shortfall=EXPECTED_SHORTFALL,
        initial_margin=initial_margin,
        block_number=BLOCK_NUMBER,
        valuation_time=VALUATION_TIME,
        expiry=EXPIRY,
    )
    digest = attestation_digest(attested_margin, attestation)
    attested = quorum_signature(signers, digest)

    hashed = [hash_to_g1(d) for d in HASH_DIGESTS]
    operators = "".join(
        (
            by_index("account", "address", OPERATORS, "The account of operator i: 0xF001 + i."),
            by_index(
                "secret",
                "uint256",
                [str(s) for s in SECRETS],
                "The BLS secret of operator i: 7919 * (i + 1) + 2**160.",
            ),
            by_index(
                "publicKeyG1",
                "BN254.G1Point memory",
                [g1(k.public_g1) for k in keys],
                "key_from_secret(secret(i)).public_g1.",
            ),
            by_index(
                "publicKeyG2",
                "BN254.G2Point memory",
                [g2(k.public_g2) for k in keys],
                "key_from_secret(secret(i)).public_g2, EIP-197 order (g2_words).",
            ),
            by_index(
                "proofOfPossession",
                "BN254.G1Point memory",
                [g1(p) for p in pops],
                "proof_of_possession(key_from_secret(secret(i)), CHAIN_ID, REGISTRY, account(i)).",
            ),
        )
    )
    hashes = "".join(
        (
            by_index(
                "hashDigest",
                "bytes32",
                [hex32(d) for d in HASH_DIGESTS],
                "hashToG1 vector i's digest: 0, 1, p - 1, 2**256 - 1, keccak256('vmargin').",
            ),
            by_index(
                "hashedPoint",
                "BN254.G1Point memory",
                [g1(h) for h in hashed],
                "hash_to_g1(hashDigest(i)).",
            ),
        )
    )
    returns = ", ".join(f"int256({wad(r)})" for r in SCENARIO_RETURNS)
    print(f"""// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {{BN254}} from "../../libraries/BN254.sol";

/// @title BlsVectors
/// @notice BLS values from the Python twins (`proofs/bls.py`, `proofs/quorum.py`,
/// `proofs/attestation.py`) for the forge tests, which cannot sign. Generated by
/// `contracts/test/utils/bls_vectors.py` (its docstring says how to rerun it); do not edit.
/// Proofs of possession and the attestation digest depend on REGISTRY and ATTESTED_MARGIN,
/// the addresses of the test contract's creations number {REGISTRY_NONCE} and \
{ATTESTED_MARGIN_NONCE} on chain {CHAIN_ID}.
library BlsVectors {{
    uint256 internal constant CHAIN_ID = {CHAIN_ID};
    /// @notice Where forge deploys every test contract.
    address internal constant TEST_CONTRACT = {TEST_CONTRACT};
    /// @notice create_address(TEST_CONTRACT, {REGISTRY_NONCE}): the OperatorRegistry.
    address internal constant REGISTRY = {registry};
    /// @notice create_address(TEST_CONTRACT, {ATTESTED_MARGIN_NONCE}): the AttestedMargin on the \
real registry.
    address internal constant ATTESTED_MARGIN = {attested_margin};
    uint256 internal constant OPERATOR_COUNT = {len(SECRETS)};

    // ---------------------------------------------------------------- quorum

    /// @notice What operators {" and ".join(map(str, QUORUM_SIGNERS))} sign in the quorum \
vectors.
    bytes32 internal constant QUORUM_DIGEST = {hex32(QUORUM_DIGEST)};
    /// @notice The signer bitmap of operators {" and ".join(map(str, QUORUM_SIGNERS))}.
    uint256 internal constant QUORUM_SIGNERS = {bitmap:#x};

    // ---------------------------------------------------------------- attestation

    address internal constant ALICE = {ALICE};
    int256 internal constant BALANCE = {wad(BALANCE)};
    int256 internal constant EXPOSURE = {wad(EXPOSURE)};
    int256 internal constant SPOT = {wad(SPOT)};
    uint16 internal constant ALPHA_BPS = {ALPHA_BPS};
    int256 internal constant IM_FACTOR = {wad(IM_FACTOR)};
    int256 internal constant LIQUIDITY_ADD_ON = {wad(LIQUIDITY_ADD_ON)};
    /// @notice Understated: the true ES at ALPHA_BPS is 700e18.
    int256 internal constant EXPECTED_SHORTFALL = {wad(EXPECTED_SHORTFALL)};
    /// @notice IM_FACTOR * ES + LIQUIDITY_ADD_ON * |EXPOSURE| * SPOT, both rounded up.
    int256 internal constant INITIAL_MARGIN = {wad(initial_margin)};
    uint256 internal constant START = {START};
    uint64 internal constant BLOCK_NUMBER = {BLOCK_NUMBER};
    uint64 internal constant VALUATION_TIME = {VALUATION_TIME};
    uint64 internal constant EXPIRY = {EXPIRY};
    /// @notice keccak256(abi.encode(Portfolio(BALANCE, [EXPOSURE], []), [SPOT], [0])).
    bytes32 internal constant STATE_HASH = {hex32(state_hash)};
    /// @notice ScenarioMerkle.root(ScenarioMerkle.leaves(scenarioReturns())).
    bytes32 internal constant SCENARIO_ROOT = {hex32(root)};
    /// @notice attestation_digest(ATTESTED_MARGIN, Attestation(CHAIN_ID, ALICE, STATE_HASH,
    /// 1, SCENARIO_ROOT, ALPHA_BPS, EXPECTED_SHORTFALL, INITIAL_MARGIN, BLOCK_NUMBER,
    /// VALUATION_TIME, EXPIRY)).
    bytes32 internal constant ATTESTATION_DIGEST = {hex32(digest)};

    /// @notice The ETH spot return of each of the 8 scenarios (vol shifts 0).
    function scenarioReturns() internal pure returns (int256[8] memory) {{
        return [{returns}];
    }}

    /// @notice quorum_signature({{1: key 1, 3: key 3}}, ATTESTATION_DIGEST).signature.
    function attestationSignature() internal pure returns (BN254.G1Point memory) {{
        return {g1(attested.signature)};
    }}

    // ---------------------------------------------------------------- operators
{operators}    // ---------------------------------------------------------------- quorum signature

    /// @notice quorum_signature({{1: key 1, 3: key 3}}, QUORUM_DIGEST).signature.
    function quorumSignature() internal pure returns (BN254.G1Point memory) {{
        return {g1(quorum.signature)};
    }}

    /// @notice aggregate_g1([key 1 public_g1, key 3 public_g1]).
    function quorumApkG1() internal pure returns (BN254.G1Point memory) {{
        return {g1(apk_g1)};
    }}

    /// @notice quorum_signature({{1: key 1, 3: key 3}}, QUORUM_DIGEST).apk_g2 (EIP-197 order).
    function quorumApkG2() internal pure returns (BN254.G2Point memory) {{
        return {g2(quorum.apk_g2)};
    }}

    /// @notice sign(key_from_secret(secret(0)), QUORUM_DIGEST): operator 0 alone.
    function singleSignature() internal pure returns (BN254.G1Point memory) {{
        return {g1(sign(keys[0], QUORUM_DIGEST))};
    }}

    // ---------------------------------------------------------------- hash to G1
{hashes}}}""")


if __name__ == "__main__":
    main()
