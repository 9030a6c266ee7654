"""Risk operators on chain: registering a BLS key with its bond and proof of possession
(``contracts/OperatorRegistry.sol``), and wiring attested margin into a deployment
(``contracts/AttestedMargin.sol``)."""

from collections.abc import Sequence

from eth_account.signers.local import LocalAccount
from web3.contract import Contract
from web3.types import TxReceipt

from vmargin.chain.client import Chain
from vmargin.chain.deployment import Deployment
from vmargin.proofs.bls import BlsKey, g1_words, g2_abi
from vmargin.proofs.quorum import proof_of_possession


def register_operator(
    chain: Chain,
    registry: Contract,
    *,
    bond_token: Contract,
    operator: LocalAccount,
    key: BlsKey,
    bond: int,
    proof: tuple[int, int] | None = None,
) -> TxReceipt:
    """Approve ``bond`` (token units, held by ``operator``) and register ``operator`` with
    ``key``, proven by its proof of possession (or ``proof``, to test a wrong one)."""
    if proof is None:
        proof = proof_of_possession(key, chain.chain_id, registry.address, operator.address)
    chain.transact(operator, bond_token.functions.approve(registry.address, bond))
    return chain.transact(
        operator,
        registry.functions.register(
            tuple(g1_words(key.public_g1)),
            g2_abi(key.public_g2),
            tuple(g1_words(proof)),
            bond,
        ),
    )


def deploy_operator_registry(
    deployment: Deployment,
    owner: LocalAccount,
    *,
    operators: Sequence[LocalAccount],
    keys: Sequence[BlsKey],
    bond: int,
    quorum_bps: int,
    unbonding_delay: int,
) -> Contract:
    """Deploy an ``OperatorRegistry`` bonding the deployment's stablecoin (``bond`` token
    units minimum, quorum ``quorum_bps`` of the active bond, ``unbonding_delay`` seconds)
    and register each of ``operators`` with its key and a ``bond`` the owner mints."""
    chain, token = deployment.chain, deployment.stablecoin
    registry = chain.deploy(
        owner,
        "OperatorRegistry",
        owner.address,
        token.address,
        bond,
        quorum_bps,
        unbonding_delay,
    )
    for operator, key in zip(operators, keys, strict=True):
        chain.transact(owner, token.functions.mint(operator.address, bond))
        register_operator(chain, registry, bond_token=token, operator=operator, key=key, bond=bond)
    return registry


def deploy_attested_margin(
    deployment: Deployment,
    owner: LocalAccount,
    *,
    operators: Sequence[LocalAccount],
    keys: Sequence[BlsKey],
    bond: int,
    quorum_bps: int,
    challenge_window: int,
) -> Contract:
    """Deploy the operator registry (``deploy_operator_registry``, unbonding delay equal to
    the challenge window) and ``AttestedMargin`` with ``challenge_window`` seconds, make it
    the registry's slasher and the clearinghouse's source of attested margin. Returns
    ``AttestedMargin``."""
    chain, clearinghouse = deployment.chain, deployment.clearinghouse
    registry = deploy_operator_registry(
        deployment,
        owner,
        operators=operators,
        keys=keys,
        bond=bond,
        quorum_bps=quorum_bps,
        unbonding_delay=challenge_window,
    )
    attested = chain.deploy(
        owner,
        "AttestedMargin",
        registry.address,
        clearinghouse.address,
        challenge_window,
    )
    chain.transact(owner, registry.functions.setSlasher(attested.address))
    chain.transact(owner, clearinghouse.functions.setAttestedMargin(attested.address))
    return attested


def operator_registry(chain: Chain, attested_margin: Contract) -> Contract:
    """The OperatorRegistry whose quorums ``attested_margin`` accepts."""
    return chain.contract("OperatorRegistry", chain.call(attested_margin.functions.operators()))
