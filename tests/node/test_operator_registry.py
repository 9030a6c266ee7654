"""The operator registry on Anvil: registration with a proof of possession, quorum
signatures and each way one is refused, exits, unbonding and slashing."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import partial

import pytest
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from support.node import reverted, rpc
from vmargin.attestation.operator_registry import register_operator
from vmargin.chain.anvil import AnvilNode
from vmargin.chain.client import Chain, TransactionReverted, anvil_accounts
from vmargin.proofs.bls import BlsKey, P, key_from_secret
from vmargin.proofs.quorum import QuorumSignature, proof_of_possession, quorum_signature

USDC = 10**6
BOND = 10_000 * USDC
QUORUM_BPS = 6_667
UNBONDING = 7 * 24 * 3600
DIGEST = bytes.fromhex("a7" * 32)


@dataclass(kw_only=True, frozen=True)
class Registry:
    chain: Chain
    owner: LocalAccount
    operators: tuple[LocalAccount, ...]
    keys: tuple[BlsKey, ...]
    token: Contract
    registry: Contract


def register(setup: Registry, operator: LocalAccount, key: BlsKey, pop: tuple[int, int]) -> None:
    setup.chain.transact(setup.owner, setup.token.functions.mint(operator.address, BOND))
    register_operator(
        setup.chain,
        setup.registry,
        bond_token=setup.token,
        operator=operator,
        key=key,
        bond=BOND,
        proof=pop,
    )


@pytest.fixture(scope="module")
def setup(anvil: AnvilNode) -> Registry:
    chain = Chain.connect(anvil.rpc_url)
    accounts = anvil_accounts(10)
    owner, operators = accounts[0], tuple(accounts[5:9])
    token = chain.deploy(owner, "MockToken", owner.address, "Mock USD Coin", "mUSDC", 6)
    registry = chain.deploy(
        owner, "OperatorRegistry", owner.address, token.address, BOND, QUORUM_BPS, UNBONDING
    )
    keys = tuple(key_from_secret(7919 * (i + 1) + 2**160) for i in range(len(operators)))
    setup = Registry(
        chain=chain, owner=owner, operators=operators, keys=keys, token=token, registry=registry
    )
    for operator, key in zip(operators, keys, strict=True):
        register(
            setup,
            operator,
            key,
            proof_of_possession(key, chain.chain_id, registry.address, operator.address),
        )
    return setup


@pytest.fixture
def fresh(setup: Registry) -> Iterator[Registry]:
    """The registry with four operators; state changes are reverted after the test."""
    with reverted(setup.chain):
        yield setup


def check(setup: Registry, digest: bytes, quorum: QuorumSignature) -> int:
    return setup.chain.call(setup.registry.functions.checkQuorum(digest, quorum.as_abi()))


def refused(call: Callable[[], object]) -> TransactionReverted:
    with pytest.raises(TransactionReverted) as error:
        call()
    return error.value


def test_four_operators_are_registered_with_their_bonds(setup: Registry) -> None:
    registry = setup.registry
    assert setup.chain.call(registry.functions.operatorCount()) == 4
    assert setup.chain.call(registry.functions.totalActiveBond()) == 4 * BOND
    account, (x, y), bond, active, _ = setup.chain.call(registry.functions.operatorAt(2))
    assert (account, (x, y), bond, active) == (
        setup.operators[2].address,
        setup.keys[2].public_g1,
        BOND,
        True,
    )


def test_a_proof_of_possession_that_is_not_the_keys_own_is_refused(fresh: Registry) -> None:
    chain, registry = fresh.chain, fresh.registry
    newcomer = anvil_accounts(10)[9]
    key = key_from_secret(424242)
    other_key = key_from_secret(434343)
    cases = {
        "signed by another key": proof_of_possession(
            other_key, chain.chain_id, registry.address, newcomer.address
        ),
        "for another account": proof_of_possession(
            key, chain.chain_id, registry.address, fresh.owner.address
        ),
        "for another chain": proof_of_possession(key, 1, registry.address, newcomer.address),
        "for another registry": proof_of_possession(
            key, chain.chain_id, fresh.token.address, newcomer.address
        ),
    }
    for case, pop in cases.items():
        error = refused(partial(register, fresh, newcomer, key, pop))
        assert error.error == "OperatorRegistry.InvalidProofOfPossession", case
    register(
        fresh,
        newcomer,
        key,
        proof_of_possession(key, chain.chain_id, registry.address, newcomer.address),
    )
    assert chain.call(registry.functions.operatorCount()) == 5


def test_a_quorum_of_three_of_four_verifies_and_returns_its_bond(setup: Registry) -> None:
    quorum = quorum_signature({i: setup.keys[i] for i in (0, 1, 3)}, DIGEST)
    assert check(setup, DIGEST, quorum) == 3 * BOND


def test_each_bad_quorum_signature_is_refused_with_its_own_error(setup: Registry) -> None:
    keys = setup.keys
    honest = quorum_signature({i: keys[i] for i in (0, 1, 2)}, DIGEST)

    two = quorum_signature({0: keys[0], 1: keys[1]}, DIGEST)
    error = refused(lambda: check(setup, DIGEST, two))
    assert error.error == "OperatorRegistry.QuorumNotReached"
    assert error.arguments == {
        "signedBond": 2 * BOND,
        "requiredBond": -(-4 * BOND * QUORUM_BPS // 10_000),
    }

    error = refused(lambda: check(setup, bytes.fromhex("a8" * 32), honest))
    assert error.error == "OperatorRegistry.InvalidSignature"

    impostor = key_from_secret(99991)
    wrong_key = quorum_signature({0: keys[0], 1: keys[1], 2: impostor}, DIGEST)
    assert (
        refused(lambda: check(setup, DIGEST, wrong_key)).error
        == "OperatorRegistry.InvalidSignature"
    )

    unknown = replace(honest, signers=honest.signers | 1 << 6)
    error = refused(lambda: check(setup, DIGEST, unknown))
    assert (error.error, error.arguments) == ("OperatorRegistry.UnknownOperator", {"index": 6})

    assert (
        refused(lambda: check(setup, DIGEST, replace(honest, signers=0))).error
        == "OperatorRegistry.NoSigners"
    )

    x, y = honest.signature
    off_curve = replace(honest, signature=(x, (y + 1) % P))
    assert refused(lambda: check(setup, DIGEST, off_curve)).error == "OperatorRegistry.NotOnCurve"


def test_an_exiting_operator_no_longer_signs_and_waits_out_its_unbonding(fresh: Registry) -> None:
    chain, registry = fresh.chain, fresh.registry
    leaver = fresh.operators[3]
    chain.transact(leaver, registry.functions.requestExit())
    assert chain.call(registry.functions.totalActiveBond()) == 3 * BOND
    quorum = quorum_signature({i: fresh.keys[i] for i in (0, 1, 3)}, DIGEST)
    error = refused(lambda: check(fresh, DIGEST, quorum))
    assert (error.error, error.arguments) == ("OperatorRegistry.OperatorNotActive", {"index": 3})
    assert refused(lambda: chain.transact(leaver, registry.functions.withdrawBond())).error == (
        "OperatorRegistry.StillUnbonding"
    )
    rpc(chain, "evm_increaseTime", UNBONDING)
    rpc(chain, "evm_mine")
    chain.transact(leaver, registry.functions.withdrawBond())
    assert chain.call(fresh.token.functions.balanceOf(leaver.address)) == BOND


def test_only_the_slasher_slashes_and_it_takes_whole_bonds(fresh: Registry) -> None:
    chain, registry = fresh.chain, fresh.registry
    slasher, challenger = anvil_accounts(10)[1:3]
    error = refused(
        lambda: chain.transact(slasher, registry.functions.slash(0b11, challenger.address))
    )
    assert error.error == "OperatorRegistry.NotSlasher"
    chain.transact(fresh.owner, registry.functions.setSlasher(slasher.address))
    chain.transact(
        fresh.operators[1], registry.functions.requestExit()
    )  # unbonding: still slashable
    chain.transact(slasher, registry.functions.slash(0b11, challenger.address))
    assert chain.call(fresh.token.functions.balanceOf(challenger.address)) == 2 * BOND
    assert chain.call(registry.functions.totalActiveBond()) == 2 * BOND
    quorum = quorum_signature({0: fresh.keys[0], 2: fresh.keys[2], 3: fresh.keys[3]}, DIGEST)
    error = refused(lambda: check(fresh, DIGEST, quorum))
    assert (error.error, error.arguments) == ("OperatorRegistry.OperatorNotActive", {"index": 0})
