"""Attested margin on Anvil, end to end: an honest quorum's attestation lets a trade and a
withdrawal through without margin certificates; an attestation that understates ES is
accepted, then disproven with a certificate of the published state, voided and its
signers slashed; a challenge of a correct attestation fails by name; and every bad
attestation is refused with its own error (wrong key, altered message, no quorum, another
chain, another root, expired, a past epoch, a point off the curve, another ES level, a
preimage of another state, an IM the ES does not make)."""

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import partial

import pytest
from eth_account.signers.local import LocalAccount
from web3.contract import Contract
from web3.types import RPCEndpoint

from support.node import reverted
from vmargin.attestation.attested_margin import (
    VOIDED,
    abi_tuple,
    accept_attestation,
    attestation_of,
    attested_state,
    challenge_attestation,
    disproof,
    state_abi,
)
from vmargin.attestation.operator_registry import deploy_attested_margin
from vmargin.chain.anvil import AnvilNode
from vmargin.chain.client import Chain, TransactionReverted, anvil_accounts, emitted
from vmargin.chain.deployment import Deployment, RiskParameters, deploy_vmargin, mint_and_deposit
from vmargin.chain.reads import read_account, read_initial_margin_parameters, read_marks
from vmargin.chain.scenario_registry import (
    PublishedScenarioSet,
    post_scenario_set,
    read_scenario_set,
)
from vmargin.numerics.expected_shortfall import tail_weight, weighted_lower_bound, worst_scenarios
from vmargin.numerics.fixedpoint import WAD, Rounding, mul_wad
from vmargin.numerics.margin import initial_margin_of
from vmargin.numerics.portfolio import Account, Marks, scenario_losses
from vmargin.oracle.feeds import push_price
from vmargin.proofs.attestation import Attestation, attestation_digest
from vmargin.proofs.bls import BlsKey, P, key_from_secret
from vmargin.proofs.certificate import NO_MARGIN_CERTIFICATE
from vmargin.proofs.quorum import QuorumSignature, quorum_signature
from vmargin.settlement import after_perp_trade, settle_perp_trade

USDC = 10**6
BOND = 10_000 * USDC
N = 40
CHALLENGE_WINDOW = 3600


@dataclass(kw_only=True, frozen=True)
class Setup:
    chain: Chain
    owner: LocalAccount
    deployment: Deployment
    attested: Contract
    keys: tuple[BlsKey, ...]
    trader: LocalAccount
    maker: LocalAccount
    settler: LocalAccount
    challenger: LocalAccount
    scenarios: PublishedScenarioSet


def post_epoch(chain: Chain, owner: LocalAccount, registry: Contract, seed: int) -> int:
    rng = random.Random(seed)
    returns = tuple((rng.randint(-WAD // 10, WAD // 10),) for _ in range(N))
    return post_scenario_set(
        chain, owner, registry, spot_returns=returns, vol_shifts=((0,),) * N, alpha_bps=9750
    )


@pytest.fixture(scope="module")
def module_setup(anvil: AnvilNode) -> Setup:
    chain = Chain.connect(anvil.rpc_url)
    owner, backstop, settler, maker, trader, challenger, *operators = anvil_accounts(10)
    deployment = deploy_vmargin(
        chain, owner, backstop=backstop.address, assets=("ETH",), risk=RiskParameters()
    )
    clearinghouse = deployment.clearinghouse
    chain.transact(owner, clearinghouse.functions.setSettler(settler.address, True))
    epoch = post_epoch(chain, owner, deployment.registry, 7)
    push_price(chain, owner, deployment.aggregators[0], Decimal(2000))
    keys = tuple(key_from_secret(104_729 * (i + 3)) for i in range(len(operators)))
    attested = deploy_attested_margin(
        deployment,
        owner,
        operators=operators,
        keys=keys,
        bond=BOND,
        quorum_bps=6_600,
        challenge_window=CHALLENGE_WINDOW,
    )
    scenarios = read_scenario_set(chain, deployment.registry, epoch)
    mint_and_deposit(deployment, owner, maker, 1_000_000)
    mint_and_deposit(deployment, owner, trader, 5_000)
    settle_perp_trade(
        deployment,
        settler,
        scenarios,
        buyer=trader.address,
        seller=maker.address,
        asset=0,
        size=5 * WAD,
        price=2000 * WAD,
    )
    return Setup(
        chain=chain,
        owner=owner,
        deployment=deployment,
        attested=attested,
        keys=keys,
        trader=trader,
        maker=maker,
        settler=settler,
        challenger=challenger,
        scenarios=scenarios,
    )


@pytest.fixture
def setup(module_setup: Setup) -> Iterator[Setup]:
    """The module's chain; state changes are reverted after the test."""
    with reverted(module_setup.chain):
        yield module_setup


def after_withdrawal(setup: Setup, usdc: int) -> tuple[Account, Marks, int]:
    """The trader's account as it will be after withdrawing ``usdc``, the marks and the
    block they were read at."""
    deployment = setup.deployment
    block = setup.chain.w3.eth.block_number
    account = read_account(deployment, setup.trader.address, block)
    account = replace(account, cash=account.cash - usdc * WAD)
    return account, read_marks(deployment, account, block), block


def honest_attestation(
    setup: Setup, account: Account, marks: Marks, block: int, signers: tuple[int, ...] = (0, 1, 2)
) -> tuple[Attestation, QuorumSignature]:
    attestation = attestation_of(
        setup.chain.chain_id,
        setup.attested.address,
        account=account,
        marks=marks,
        block_number=block,
        scenarios=setup.scenarios,
        parameters=read_initial_margin_parameters(setup.deployment, block),
        expiry=marks.now + 600,
    )
    return attestation, signed(setup, attestation, signers)


def signed(
    setup: Setup, attestation: Attestation, signers: tuple[int, ...] = (0, 1, 2)
) -> QuorumSignature:
    digest = attestation_digest(setup.attested.address, attestation)
    return quorum_signature({i: setup.keys[i] for i in signers}, digest)


def accept(
    setup: Setup,
    attestation: Attestation,
    quorum: QuorumSignature,
    account: Account,
    marks: Marks,
) -> dict:
    """Accept with the state's preimage; the AttestationAccepted event."""
    receipt = accept_attestation(
        setup.chain,
        setup.challenger,
        setup.attested,
        attestation=attestation,
        quorum=quorum,
        state=state_abi(account, marks),
    )
    return emitted(setup.attested, "AttestationAccepted", receipt)[0]


def withdraw(setup: Setup, usdc: int) -> dict:
    clearinghouse = setup.deployment.clearinghouse
    receipt = setup.chain.transact(
        setup.trader, clearinghouse.functions.withdraw(usdc * USDC, NO_MARGIN_CERTIFICATE.as_abi())
    )
    return emitted(clearinghouse, "InitialMarginChecked", receipt)[0]


def challenge(setup: Setup, accepted: dict, account: Account, marks: Marks) -> dict:
    """Disprove the attestation ``accepted`` (its event, as published) with the
    certificate of the worst scenarios at its level of ``account`` at ``marks``."""
    alpha_bps = accepted["claim"]["alphaBps"]
    shown = disproof(account, marks, setup.scenarios, alpha_bps)
    receipt = challenge_attestation(
        setup.chain, setup.challenger, setup.attested, accepted, shown.certificate
    )
    return emitted(setup.attested, "AttestationVoided", receipt)[0]


def refusal(call: Callable[[], object]) -> str:
    with pytest.raises(TransactionReverted) as refused:
        call()
    return refused.value.error


def test_the_digest_twin_matches_the_contract(setup: Setup) -> None:
    account, marks, block = after_withdrawal(setup, 100)
    attestation, _ = honest_attestation(setup, account, marks, block)
    onchain = setup.chain.call(setup.attested.functions.attestationDigest(attestation.as_abi()))
    assert bytes(onchain) == attestation_digest(setup.attested.address, attestation)
    assert setup.chain.call(setup.attested.functions.VOIDED()) == VOIDED


def test_the_published_state_values_as_the_account(setup: Setup) -> None:
    account, marks, block = after_withdrawal(setup, 100)
    attestation, quorum = honest_attestation(setup, account, marks, block)
    accepted = accept(setup, attestation, quorum, account, marks)
    state = accepted["state"]
    assert bytes(accepted["id"]) == attestation_digest(setup.attested.address, attestation)
    republished = attested_state(account.address, abi_tuple(state), marks.now)
    assert state_abi(*republished) == state_abi(account, marks)
    assert accepted["initialMargin"] == attestation.initial_margin
    assert accepted["claim"]["acceptedAt"] == setup.chain.w3.eth.get_block("latest")["timestamp"]


def test_an_honest_attestation_lets_a_trade_through_without_certificates(setup: Setup) -> None:
    deployment, chain = setup.deployment, setup.chain
    maker = setup.maker.address
    price = 2000 * WAD
    cost = mul_wad(WAD, price, Rounding.CEIL)
    empty = NO_MARGIN_CERTIFICATE.as_abi()

    def trade() -> dict:
        receipt = chain.transact(
            setup.settler,
            deployment.clearinghouse.functions.settleTrade(
                setup.trader.address, maker, 0, WAD, price, empty, empty
            ),
        )
        checks = emitted(deployment.clearinghouse, "InitialMarginChecked", receipt)
        return {check["account"]: check for check in checks}

    assert refusal(trade) == "AttestedMargin.NoValidAttestation"
    block = chain.w3.eth.block_number
    attested = {}
    for address, size, signed_cost in ((setup.trader.address, WAD, cost), (maker, -WAD, -cost)):
        after = after_perp_trade(read_account(deployment, address, block), 0, size, signed_cost)
        marks = read_marks(deployment, after, block)
        attestation, quorum = honest_attestation(setup, after, marks, block)
        accept(setup, attestation, quorum, after, marks)
        attested[address] = attestation
    checked = trade()
    for address, attestation in attested.items():
        assert checked[address]["initialMargin"] == attestation.initial_margin
        assert checked[address]["epoch"] == attestation.epoch


def test_an_honest_attestation_lets_a_withdrawal_through_without_a_certificate(
    setup: Setup,
) -> None:
    assert refusal(lambda: withdraw(setup, 500)) == "AttestedMargin.NoValidAttestation"
    account, marks, block = after_withdrawal(setup, 500)
    attestation, quorum = honest_attestation(setup, account, marks, block)
    accept(setup, attestation, quorum, account, marks)
    checked = withdraw(setup, 500)
    assert checked["initialMargin"] == attestation.initial_margin
    assert checked["epoch"] == attestation.epoch


def understated(setup: Setup, account: Account, marks: Marks, block: int) -> Attestation:
    """An attestation of a quarter of the true ES, with the IM that ES makes."""
    honest, _ = honest_attestation(setup, account, marks, block)
    parameters = read_initial_margin_parameters(setup.deployment, block)
    es = honest.expected_shortfall // 4
    return replace(
        honest,
        expected_shortfall=es,
        initial_margin=initial_margin_of(account, marks, es, parameters),
    )


def test_an_understated_es_is_disproven_voided_and_its_signers_slashed(setup: Setup) -> None:
    chain, token = setup.chain, setup.deployment.stablecoin
    account, marks, block = after_withdrawal(setup, 3_000)
    honest, _ = honest_attestation(setup, account, marks, block)
    lie = understated(setup, account, marks, block)
    accepted = accept(setup, lie, signed(setup, lie), account, marks)
    withdraw(setup, 3_000)  # optimistic: the lie lets too much out
    before = chain.call(token.functions.balanceOf(setup.challenger.address))
    voided = challenge(setup, accepted, account, marks)
    scenarios = setup.scenarios
    losses = scenario_losses(account, marks, scenarios.spot_returns, scenarios.vol_shifts)
    tail = tail_weight(len(losses), lie.alpha_bps)
    worst = worst_scenarios(losses, tail.witness_count)
    bound = weighted_lower_bound([losses[i] for i in worst], tail)
    assert voided["bound"] == bound
    assert 0 <= honest.expected_shortfall - bound <= 1  # the exact ES, rounded down and up
    assert voided["slashed"] == 3 * BOND
    assert chain.call(token.functions.balanceOf(setup.challenger.address)) - before == 3 * BOND
    state = lie.state_hash
    assert (
        refusal(
            lambda: chain.call(setup.attested.functions.initialMarginOf(account.address, state))
        )
        == "AttestedMargin.NoValidAttestation"
    )
    assert refusal(lambda: challenge(setup, accepted, account, marks)) == (
        "AttestedMargin.AlreadyVoided"
    )


def test_a_challenge_of_a_correct_attestation_fails_by_name(setup: Setup) -> None:
    account, marks, block = after_withdrawal(setup, 500)
    attestation, quorum = honest_attestation(setup, account, marks, block)
    accepted = accept(setup, attestation, quorum, account, marks)
    assert refusal(lambda: challenge(setup, accepted, account, marks)) == (
        "AttestedMargin.AttestationNotDisproven"
    )
    other = replace(account, cash=account.cash + 1)
    misstated = {**accepted, "state": state_abi(other, marks)}
    assert refusal(lambda: challenge(setup, misstated, other, marks)) == (
        "AttestedMargin.StateMismatch"
    )
    forged = {**accepted, "claim": {**accepted["claim"], "expectedShortfall": 0}}
    assert refusal(lambda: challenge(setup, forged, account, marks)) == (
        "AttestedMargin.ClaimMismatch"
    )
    w3 = setup.chain.w3
    w3.provider.make_request(RPCEndpoint("evm_increaseTime"), [CHALLENGE_WINDOW + 1])
    w3.provider.make_request(RPCEndpoint("evm_mine"), [])
    assert refusal(lambda: challenge(setup, accepted, account, marks)) == (
        "AttestedMargin.ChallengeWindowClosed"
    )


def test_each_bad_attestation_is_refused_with_its_own_error(setup: Setup) -> None:
    account, marks, block = after_withdrawal(setup, 100)
    honest, quorum = honest_attestation(setup, account, marks, block)

    def verify(attestation: Attestation, signature: QuorumSignature) -> Callable[[], object]:
        return lambda: setup.chain.call(
            setup.attested.functions.verify(attestation.as_abi(), signature.as_abi())
        )

    assert setup.chain.call(setup.attested.functions.verify(honest.as_abi(), quorum.as_abi()))
    impostor = key_from_secret(15_485_863)
    digest = attestation_digest(setup.attested.address, honest)
    wrong_key = quorum_signature({0: setup.keys[0], 1: setup.keys[1], 2: impostor}, digest)
    assert refusal(verify(honest, wrong_key)) == "OperatorRegistry.InvalidSignature"
    inflated = replace(honest, initial_margin=honest.initial_margin - 1)
    assert refusal(verify(inflated, quorum)) == "OperatorRegistry.InvalidSignature"
    assert refusal(verify(honest, signed(setup, honest, (3,)))) == (
        "OperatorRegistry.QuorumNotReached"
    )
    for bad, error in (
        (replace(honest, chain_id=1), "AttestedMargin.WrongChain"),
        (replace(honest, scenario_root=bytes(32)), "AttestedMargin.WrongScenarioRoot"),
        (replace(honest, expiry=marks.now - 1), "AttestedMargin.AttestationExpired"),
        (replace(honest, valuation_time=marks.now + 3600), "AttestedMargin.FutureValuation"),
    ):
        assert refusal(verify(bad, signed(setup, bad))) == error
    x, y = quorum.signature
    off_curve = replace(quorum, signature=(x, (y + 1) % P))
    assert refusal(verify(honest, off_curve)) == "OperatorRegistry.NotOnCurve"
    post_epoch(setup.chain, setup.owner, setup.deployment.registry, 8)
    assert refusal(verify(honest, quorum)) == "AttestedMargin.EpochNotCurrent"


def test_accept_checks_the_level_the_preimage_and_the_initial_margin(setup: Setup) -> None:
    account, marks, block = after_withdrawal(setup, 100)
    honest, _ = honest_attestation(setup, account, marks, block)
    other_level = replace(honest, alpha_bps=9750)
    other_im = replace(honest, initial_margin=honest.initial_margin - 1)
    other_state = replace(account, cash=account.cash - 1)
    for attestation, preimage, error in (
        (other_level, account, "AttestedMargin.WrongLevel"),
        (honest, other_state, "AttestedMargin.StateMismatch"),
        (other_im, account, "AttestedMargin.InitialMarginMismatch"),
    ):
        quorum = signed(setup, attestation)
        submit = partial(accept, setup, attestation, quorum, preimage, marks)
        assert refusal(submit) == error
    accept(setup, honest, signed(setup, honest), account, marks)
    assert refusal(lambda: accept(setup, honest, signed(setup, honest), account, marks)) == (
        "AttestedMargin.AlreadyAccepted"
    )
