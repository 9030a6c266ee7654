"""Attested margin on Anvil: an honest quorum's attestation verifies, and every bad one is
refused with its own error (wrong key, wrong message, no quorum, another chain, another
epoch or root, expired, a point off the curve)."""

import random
from dataclasses import dataclass, replace

import pytest
from web3.contract import Contract

from offchain.anvil import AnvilNode
from offchain.chain import Chain, TransactionReverted, anvil_accounts
from offchain.fixedpoint import WAD
from offchain.operators import register_operator
from offchain.scenario_registry import post_scenario_set
from proofs.attestation import Attestation, attestation_digest
from proofs.bls import BlsKey, P, key_from_secret
from proofs.quorum import QuorumSignature, quorum_signature

BOND = 10_000 * 10**6
N = 40


@dataclass(frozen=True)
class Setup:
    chain: Chain
    owner: object
    scenarios: Contract
    verifier: Contract
    keys: tuple[BlsKey, ...]
    root: bytes
    epoch: int


def post_epoch(chain: Chain, owner: object, scenarios: Contract, seed: int) -> int:
    rng = random.Random(seed)
    returns = tuple((rng.randint(-WAD // 10, WAD // 10),) for _ in range(N))
    return post_scenario_set(chain, owner, scenarios, returns, ((0,),) * N, 9750)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def setup(anvil: AnvilNode) -> Setup:
    chain = Chain.connect(anvil.rpc_url)
    accounts = anvil_accounts(10)
    owner, operators = accounts[0], accounts[6:9]
    token = chain.deploy(owner, "MockToken", owner.address, "Mock USD Coin", "mUSDC", 6)
    scenarios = chain.deploy(owner, "ScenarioRegistry", owner.address)
    epoch = post_epoch(chain, owner, scenarios, 7)
    registry = chain.deploy(
        owner, "OperatorRegistry", owner.address, token.address, BOND, 6_600, 3600
    )
    keys = tuple(key_from_secret(104_729 * (i + 3)) for i in range(len(operators)))
    for operator, key in zip(operators, keys, strict=True):
        chain.transact(owner, token.functions.mint(operator.address, BOND))
        register_operator(chain, registry, token, operator, key, BOND)
    verifier = chain.deploy(owner, "AttestationVerifier", registry.address, scenarios.address)
    root = bytes(chain.call(scenarios.functions.scenarioSet(epoch))[0])
    return Setup(chain, owner, scenarios, verifier, keys, root, epoch)


def attestation(setup: Setup, **changes: object) -> Attestation:
    chain = setup.chain
    latest = chain.w3.eth.get_block("latest")
    honest = Attestation(
        chain_id=chain.chain_id,
        account=anvil_accounts(10)[9].address,
        state_hash=bytes.fromhex("c3" * 32),
        epoch=setup.epoch,
        scenario_root=setup.root,
        expected_shortfall=1_234 * WAD,
        initial_margin=1_851 * WAD,
        block_number=latest["number"],
        expiry=latest["timestamp"] + 600,
    )
    return replace(honest, **changes)  # type: ignore[arg-type]


def signed(
    setup: Setup, attested: Attestation, signers: tuple[int, ...] = (0, 1)
) -> QuorumSignature:
    digest = attestation_digest(setup.verifier.address, attested)
    return quorum_signature({i: setup.keys[i] for i in signers}, digest)


def verify(setup: Setup, attested: Attestation, quorum: QuorumSignature) -> int:
    return setup.chain.call(setup.verifier.functions.verify(attested.as_abi(), quorum.as_abi()))


def refusal(setup: Setup, attested: Attestation, quorum: QuorumSignature) -> str:
    with pytest.raises(TransactionReverted) as refused:
        verify(setup, attested, quorum)
    return refused.value.error


def test_the_digest_twin_matches_the_contract(setup: Setup) -> None:
    attested = attestation(setup)
    onchain = setup.chain.call(setup.verifier.functions.attestationDigest(attested.as_abi()))
    assert bytes(onchain) == attestation_digest(setup.verifier.address, attested)


def test_an_honest_quorum_attestation_verifies(setup: Setup) -> None:
    attested = attestation(setup)
    assert verify(setup, attested, signed(setup, attested)) == 2 * BOND


def test_each_bad_attestation_is_refused_with_its_own_error(setup: Setup) -> None:
    honest = attestation(setup)
    quorum = signed(setup, honest)

    impostor = key_from_secret(15_485_863)
    digest = attestation_digest(setup.verifier.address, honest)
    wrong_key = quorum_signature({0: setup.keys[0], 1: impostor}, digest)
    assert refusal(setup, honest, wrong_key) == "OperatorRegistry.InvalidSignature"

    inflated = replace(honest, initial_margin=honest.initial_margin - 1)
    assert refusal(setup, inflated, quorum) == "OperatorRegistry.InvalidSignature"

    alone = attestation(setup)
    assert refusal(setup, alone, signed(setup, alone, (2,))) == "OperatorRegistry.QuorumNotReached"

    other_chain = attestation(setup, chain_id=1)
    assert refusal(setup, other_chain, signed(setup, other_chain)) == (
        "AttestationVerifier.WrongChain"
    )

    wrong_root = attestation(setup, scenario_root=bytes(32))
    assert refusal(setup, wrong_root, signed(setup, wrong_root)) == (
        "AttestationVerifier.WrongScenarioRoot"
    )

    now = setup.chain.w3.eth.get_block("latest")["timestamp"]
    expired = attestation(setup, expiry=now - 1)
    assert refusal(setup, expired, signed(setup, expired)) == (
        "AttestationVerifier.AttestationExpired"
    )

    x, y = quorum.signature
    off_curve = replace(quorum, signature=(x, (y + 1) % P))
    assert refusal(setup, honest, off_curve) == "OperatorRegistry.NotOnCurve"


def test_an_attestation_of_a_past_epoch_is_refused(setup: Setup) -> None:
    chain = setup.chain
    snapshot = chain.w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    try:
        old = attestation(setup)
        quorum = signed(setup, old)
        post_epoch(chain, setup.owner, setup.scenarios, 8)
        assert refusal(setup, old, quorum) == "AttestationVerifier.EpochNotCurrent"
    finally:
        chain.w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]
