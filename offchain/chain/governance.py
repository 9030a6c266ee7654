"""Timelocked ownership: parameters and scenario sets change only after a public delay.

A production deployment hands the clearinghouse, the oracle adapter and the scenario
registry to a ``ParameterTimelock`` (OpenZeppelin's TimelockController with no admin). From
then on every owner call is an operation: scheduled by a proposer (``CallScheduled`` carries
the exact calldata), executable ``delay`` seconds later by an executor, cancellable until
then. A batch runs all of its calls in one transaction or none of them.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from web3.contract import Contract
from web3.types import TxReceipt

from vmargin.chain.client import Chain
from vmargin.chain.deployment import Deployment
from vmargin.errors import InputError

NO_PREDECESSOR = b"\x00" * 32


@dataclass(frozen=True)
class OwnerCall:
    """One call of an owner function: the target contract's address and the calldata."""

    target: str
    data: str


def owner_call(contract: Contract, function: str, *arguments: Any) -> OwnerCall:
    """The call of ``contract.function(*arguments)``, for a timelock operation."""
    return OwnerCall(contract.address, contract.encode_abi(function, args=list(arguments)))


def hand_over_to_timelock(
    deployment: Deployment,
    owner: LocalAccount,
    delay: int,
    proposers: Sequence[str] = (),
    executors: Sequence[str] = (),
) -> Contract:
    """Deploy a ParameterTimelock with minimum delay ``delay`` (seconds) and make it the owner
    of the clearinghouse, the oracle adapter and the scenario registry. ``proposers`` and
    ``executors`` default to ``owner`` alone. Returns the timelock."""
    chain = deployment.chain
    timelock = chain.deploy(
        owner,
        "ParameterTimelock",
        delay,
        list(proposers) or [owner.address],
        list(executors) or [owner.address],
    )
    for contract in (deployment.clearinghouse, deployment.oracle, deployment.registry):
        chain.transact(owner, contract.functions.transferOwnership(timelock.address))
    return timelock


def _batch(calls: Sequence[OwnerCall]) -> tuple[list[str], list[int], list[str]]:
    if not calls:
        raise InputError("a timelock operation needs at least one call")
    return [c.target for c in calls], [0] * len(calls), [c.data for c in calls]


def schedule(
    chain: Chain,
    proposer: LocalAccount,
    timelock: Contract,
    calls: Sequence[OwnerCall],
    salt: bytes,
) -> bytes:
    """Schedule ``calls`` as one batch with the timelock's minimum delay; returns the
    operation id. ``salt`` (32 bytes) tells apart two operations with the same calls."""
    targets, values, payloads = _batch(calls)
    delay = chain.call(timelock.functions.getMinDelay())
    chain.transact(
        proposer,
        timelock.functions.scheduleBatch(targets, values, payloads, NO_PREDECESSOR, salt, delay),
    )
    return chain.call(
        timelock.functions.hashOperationBatch(targets, values, payloads, NO_PREDECESSOR, salt)
    )


def execute(
    chain: Chain,
    executor: LocalAccount,
    timelock: Contract,
    calls: Sequence[OwnerCall],
    salt: bytes,
) -> TxReceipt:
    """Execute the batch ``schedule`` scheduled with the same ``calls`` and ``salt``. Before
    its delay has passed this raises TransactionReverted ``TimelockUnexpectedOperationState``."""
    targets, values, payloads = _batch(calls)
    return chain.transact(
        executor, timelock.functions.executeBatch(targets, values, payloads, NO_PREDECESSOR, salt)
    )
