"""Risk operators on chain: registering a BLS key with its bond and proof of possession
(``contracts/OperatorRegistry.sol``)."""

from eth_account.signers.local import LocalAccount
from web3.contract import Contract
from web3.types import TxReceipt

from offchain.chain import Chain
from proofs.bls import BlsKey, g1_words, g2_abi
from proofs.quorum import proof_of_possession


def register_operator(
    chain: Chain,
    registry: Contract,
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
