"""The keeper's transactions, written ahead: a signed transaction is in the state file
before it is broadcast.

A submission is one signed transaction: a liquidation, or a cancellation (a zero-value
transfer to the sender itself) that takes the nonce of a liquidation that is no longer
worth mining. It is ``pending`` from signing until a receipt of it, or of another
transaction with its nonce, is seen; then ``mined``, ``reverted`` or ``replaced``; and
``pending`` again if a reorg takes its block away.
Recording it before broadcasting means a keeper killed in between finds it on restart and
broadcasts it again, instead of signing a second transaction for the same account or
leaving a gap in its nonces.

Keepers that share a key share the state file: they claim an account and a nonce inside
one exclusive SQLite transaction (``claim``), so two of them never submit the same
liquidation nor sign two transactions with one nonce.
"""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr

from vmargin.chain.client import Chain, Fees
from vmargin.keeper.state import KeeperState, exclusive


class SubmissionKind(StrEnum):
    """What a submission's transaction does. The state file and the keeper's reports hold
    the value."""

    LIQUIDATION = "liquidation"
    CANCELLATION = "cancellation"


class SubmissionStatus(StrEnum):
    """Where a submission stands (module docstring). The state file holds the value."""

    PENDING = "pending"
    MINED = "mined"
    REVERTED = "reverted"
    REPLACED = "replaced"


@dataclass(kw_only=True, frozen=True)
class Submission:
    """One signed transaction of the keeper. ``account`` is the account a liquidation
    liquidates (or, for a cancellation, would have liquidated); ``recipient`` and ``data`` are the
    transaction's ``to`` and calldata (0x-hex); fees are wei per gas. ``screened_block`` is
    the block whose state the liquidation was built from, ``signed_block`` the latest block
    when it was signed (its age decides a replacement)."""

    tx_hash: HexStr
    sender: ChecksumAddress
    nonce: int
    account: str
    kind: SubmissionKind
    recipient: ChecksumAddress
    data: HexStr
    gas: int
    fees: Fees
    raw_transaction: HexStr
    screened_block: int
    signed_block: int
    status: SubmissionStatus = SubmissionStatus.PENDING
    mined_block: int | None = None


def sign_submission(
    chain: Chain,
    key: LocalAccount,
    *,
    nonce: int,
    account: str,
    kind: SubmissionKind,
    recipient: ChecksumAddress,
    data: HexStr,
    gas: int,
    fees: Fees,
    screened_block: int,
    signed_block: int,
) -> Submission:
    """Sign an EIP-1559 transaction of ``data`` to ``recipient`` and wrap it as a pending
    submission."""
    signed = chain.sign(key, nonce=nonce, to=recipient, data=data, gas=gas, fees=fees)
    return Submission(
        tx_hash=HexStr(signed.hash.to_0x_hex()),
        sender=key.address,
        nonce=nonce,
        account=account,
        kind=kind,
        recipient=recipient,
        data=data,
        gas=gas,
        fees=fees,
        raw_transaction=HexStr(signed.raw_transaction.to_0x_hex()),
        screened_block=screened_block,
        signed_block=signed_block,
    )


@contextmanager
def claim(state: KeeperState) -> Iterator[None]:
    """An exclusive write transaction on the state file: checking that an account is free,
    choosing a nonce and recording the submission happen in it, one keeper at a time."""
    with exclusive(state.connection):
        yield


def blocking_submission(state: KeeperState, account: str, screened_block: int) -> Submission | None:
    """A liquidation of ``account`` in the file that makes another one premature: one still
    pending, or one mined after ``screened_block`` (the screen did not see it)."""
    row = state.connection.execute(
        f"SELECT {_COLUMNS} FROM submissions WHERE account = ? AND kind = ? "
        "AND (status = ? OR (status = ? AND mined_block > ?)) LIMIT 1",
        (
            account,
            SubmissionKind.LIQUIDATION,
            SubmissionStatus.PENDING,
            SubmissionStatus.MINED,
            screened_block,
        ),
    ).fetchone()
    return None if row is None else _submission(row)


def next_nonce(state: KeeperState, sender: str, chain_nonce: int) -> int:
    """The nonce for ``sender``'s next transaction: past every nonce the node has seen
    (``chain_nonce``, its pending count) and every nonce in the file."""
    (highest,) = state.connection.execute(
        "SELECT max(nonce) FROM submissions WHERE sender = ?", (sender,)
    ).fetchone()
    return chain_nonce if highest is None else max(chain_nonce, highest + 1)


def record(state: KeeperState, submission: Submission) -> None:
    """Write ``submission`` into the file (inside ``claim`` or in its own transaction)."""
    values = (
        submission.tx_hash,
        submission.sender,
        submission.nonce,
        submission.account,
        submission.kind,
        submission.recipient,
        submission.data,
        submission.gas,
        str(submission.fees.max_fee),
        str(submission.fees.priority_fee),
        submission.raw_transaction,
        submission.screened_block,
        submission.signed_block,
        submission.status,
        submission.mined_block,
    )
    _write(
        state,
        f"INSERT INTO submissions ({_COLUMNS}) VALUES ({', '.join('?' * len(values))})",
        values,
    )


def pending_submissions(state: KeeperState, sender: str) -> list[Submission]:
    """``sender``'s pending submissions, by nonce, then in the order they were signed."""
    rows = state.connection.execute(
        f"SELECT {_COLUMNS} FROM submissions WHERE sender = ? AND status = ? ORDER BY nonce, rowid",
        (sender, SubmissionStatus.PENDING),
    )
    return [_submission(row) for row in rows]


def resolved_since(state: KeeperState, sender: str, block: int) -> list[Submission]:
    """``sender``'s submissions seen mined or reverted in ``block`` or later: the ones a
    reorg can take back, by nonce."""
    rows = state.connection.execute(
        f"SELECT {_COLUMNS} FROM submissions WHERE sender = ? AND status IN (?, ?) "
        "AND mined_block >= ? ORDER BY nonce, rowid",
        (sender, SubmissionStatus.MINED, SubmissionStatus.REVERTED, block),
    )
    return [_submission(row) for row in rows]


def resolve(
    state: KeeperState, tx_hash: str, status: SubmissionStatus, mined_block: int | None
) -> None:
    """Mark a pending submission mined, reverted or replaced, or a reorged one pending again
    (inside ``claim`` or in its own transaction)."""
    _write(
        state,
        "UPDATE submissions SET status = ?, mined_block = ? WHERE tx_hash = ?",
        (status, mined_block, tx_hash),
    )


def _write(state: KeeperState, statement: str, values: tuple[object, ...]) -> None:
    """Execute ``statement`` in the open ``claim`` transaction, or commit it on its own."""
    if state.connection.in_transaction:
        state.connection.execute(statement, values)
    else:
        with state.connection:
            state.connection.execute(statement, values)


_COLUMNS = (
    "tx_hash, sender, nonce, account, kind, recipient, data, gas, max_fee, priority_fee, "
    "raw_transaction, screened_block, signed_block, status, mined_block"
)


def _submission(row: sqlite3.Row | tuple[Any, ...]) -> Submission:
    (
        tx_hash,
        sender,
        nonce,
        account,
        kind,
        recipient,
        data,
        gas,
        max_fee,
        priority_fee,
        raw_transaction,
        screened_block,
        signed_block,
        status,
        mined_block,
    ) = row
    return Submission(
        tx_hash=tx_hash,
        sender=sender,
        nonce=nonce,
        account=account,
        kind=SubmissionKind(kind),
        recipient=recipient,
        data=data,
        gas=gas,
        fees=Fees(max_fee=int(max_fee), priority_fee=int(priority_fee)),
        raw_transaction=raw_transaction,
        screened_block=screened_block,
        signed_block=signed_block,
        status=SubmissionStatus(status),
        mined_block=mined_block,
    )
