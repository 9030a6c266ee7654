"""The keeper service: follow the chain and liquidate what is liquidatable and worth it,
without losing or duplicating a transaction.

A pass at a block:

1. checks that the node serves the chain the state file was written on, and folds the new
   account events into the state file, first rewinding its account cursor past a reorg
   (``offchain/keeper/state.py``; reported ``rewound``);
2. resolves the keeper's pending transactions (``track``, which checks the chain again): a
   receipt marks one mined or reverted (a liquidation that reverted because another keeper
   liquidated the account first is a lost race, not an error); a transaction the node no
   longer knows is broadcast again; one still unmined ``replace_after`` blocks after
   signing, or one the node refuses because the base fee rose above its maximum fee, is
   replaced with fees at least 12.5% higher and at least what the chain asks now, by a
   cancellation if its liquidation would now revert; one seen mined or reverted in the
   last ``REORG_DEPTH`` blocks whose receipt is gone (a reorg took its block) is pending
   again and goes through the same steps (reported ``reorged``);
3. screens every known account with exact ES (``offchain/keeper/screen.py``);
4. for each liquidatable account, most underwater first, that no transaction in the state
   file is already liquidating: builds the certificate of its k worst scenarios, runs the
   transaction with ``eth_simulateV1``, and, only if the keeper reward it emits exceeds its
   gas cost by more than the policy's minimum profit, signs it, records it in the state
   file and then broadcasts it (``offchain/keeper/submissions.py``).

Every action is reported as one dict (``Keeper.report``); ``vmargin keeper run`` prints
each as a JSON line on stdout and logs it on stderr. Node failures (``NODE_FAILURES``: a
dropped or timed-out connection, an HTTP error, an answer that is not JSON, an RPC error)
are retried with exponential backoff; a node that serves another chain than the state
file's stops the keeper (``ForeignChainError``).
"""

import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import HexStr
from hexbytes import HexBytes
from web3.exceptions import TransactionNotFound, Web3RPCError
from web3.types import TxReceipt

from vmargin.chain.client import (
    DEFAULT_PRIORITY_FEE,
    GAS_BUFFER_DIVISOR,
    NODE_FAILURES,
    Fees,
    RpcError,
    Simulation,
)
from vmargin.chain.deployment import Deployment
from vmargin.chain.scenario_registry import PublishedScenarioSet
from vmargin.errors import NodeError
from vmargin.keeper.screen import (
    AccountRisk,
    Liquidation,
    LiquidationParameters,
    liquidation_from_receipt,
    max_liquidation_fraction,
    read_liquidation_parameters,
    screen,
)
from vmargin.keeper.state import (
    REORG_DEPTH,
    KeeperState,
    check_chain,
    open_state,
    sync_accounts,
)
from vmargin.keeper.submissions import (
    Submission,
    SubmissionKind,
    SubmissionStatus,
    blocking_submission,
    claim,
    next_nonce,
    pending_submissions,
    record,
    resolve,
    resolved_since,
    sign_submission,
)
from vmargin.numerics.fixedpoint import WAD
from vmargin.proofs.certificate import witness_certificate

log = logging.getLogger("vmargin.keeper")

CANCELLATION_GAS = 21_000
"""Gas of a cancellation: a plain zero-value transfer to oneself."""

BACKOFF_FIRST = 0.5
BACKOFF_MAX = 30.0
"""Seconds before the first retry, doubling per failure up to the maximum."""


class KeeperError(NodeError):
    """The keeper cannot go on: gas it cannot price, or transactions it cannot land."""


class KeeperAction(StrEnum):
    """The ``action`` of a report (``Keeper.report``): what the keeper did or saw."""

    REWOUND = "rewound"
    SCREENED = "screened"
    SKIPPED = "skipped"
    UNPROFITABLE = "unprofitable"
    SUBMITTED = "submitted"
    LOST_RACE = "lost_race"
    REORGED = "reorged"
    NONCE_TAKEN = "nonce_taken"
    REBROADCAST = "rebroadcast"
    CANCELLED = "cancelled"
    REVERTED = "reverted"
    LIQUIDATED = "liquidated"
    REPLACED = "replaced"
    RETRY = "retry"


@dataclass(frozen=True)
class KeeperPolicy:
    """When the keeper submits and what it pays.

    ``min_profit`` (WAD, USD): a liquidation is sent only if the keeper reward its
    simulation emits exceeds its gas cost by more than this; ``None`` sends every
    liquidation, profitable or not (a protocol's own backstop keeper). The gas cost is the
    simulated gas used at the transaction's maximum fee, priced at ``native_price`` (WAD,
    USD per native token; ``None``: the oracle's ETH price at the block), rounded up.
    ``priority_fee`` is the tip in wei per gas; a transaction still unmined
    ``replace_after`` blocks after it was signed is replaced.
    """

    min_profit: int | None = 0
    native_price: int | None = None
    priority_fee: int = DEFAULT_PRIORITY_FEE
    replace_after: int = 3


Report = Callable[[dict[str, Any]], None]


def log_action(action: dict[str, Any]) -> None:
    """The default report: a debug log line."""
    log.debug("%s", action)


@dataclass(kw_only=True, frozen=True)
class Keeper:
    """A keeper: who it signs as, where it keeps its state, its policy, where it reports,
    and the executor its screen shards accounts on (``offchain/risk/sharding.py``; None: this
    process) in ``shards`` tasks."""

    deployment: Deployment
    key: LocalAccount
    state: KeeperState
    policy: KeeperPolicy
    report: Report = log_action
    executor: Executor | None = None
    shards: int = 1


@dataclass(frozen=True)
class KeeperPass:
    """One pass: the block it screened at, the epoch, every account's risk, and the
    liquidations whose receipts it saw (its own and earlier passes' ones)."""

    block: int
    scenarios: PublishedScenarioSet
    risks: list[AccountRisk]
    liquidations: list[Liquidation]


def gas_cost(gas: int, fees: Fees, native_price: int) -> int:
    """USD (WAD, rounded up) of ``gas`` at the maximum fee, the native token at
    ``native_price`` (WAD USD per 10**18 wei)."""
    return -(-gas * fees.max_fee * native_price // WAD)


def native_token_price(keeper: Keeper, block: int) -> int:
    """The policy's native token price, or the oracle's ETH price at ``block``."""
    if keeper.policy.native_price is not None:
        return keeper.policy.native_price
    deployment = keeper.deployment
    if "ETH" not in deployment.assets:
        raise KeeperError(
            "the oracle has no ETH price to value gas with: give the native token's price "
            "(--native-price)"
        )
    asset = deployment.assets.index("ETH")
    return deployment.chain.call(deployment.oracle.functions.price(asset), block)


def keeper_pass(keeper: Keeper, block: int) -> KeeperPass:
    """Sync the accounts (checking the chain, rewinding past a reorg), track pending
    transactions, screen the accounts at ``block`` and submit the liquidations worth
    sending."""
    deployment = keeper.deployment
    sync = sync_accounts(deployment, keeper.state, block)
    if sync.rewind is not None:
        keeper.report(
            {
                "action": KeeperAction.REWOUND,
                "block": block,
                "cursor": sync.rewind.cursor,
                "fork": sync.rewind.fork,
            }
        )
    landed = track(keeper, block)
    screened = screen(deployment, block, keeper.state.accounts(), keeper.executor, keeper.shards)
    scenarios, risks = screened.scenarios, screened.risks
    for address, refusal in screened.unreadable.items():
        keeper.report(
            {
                "action": KeeperAction.SKIPPED,
                "block": block,
                "account": address,
                "reason": f"its marks did not read: {refusal}",
            }
        )
    liquidatable = sorted(
        (risk for risk in risks if risk.liquidatable),
        key=lambda risk: risk.equity - risk.certified_maintenance_margin,
    )
    keeper.report(
        {
            "action": KeeperAction.SCREENED,
            "block": block,
            "epoch": scenarios.epoch,
            "accounts": len(risks),
            "new_accounts": sync.found,
            "liquidatable": len(liquidatable),
        }
    )
    if liquidatable:
        rule = read_liquidation_parameters(deployment, block)
        price = native_token_price(keeper, block)
        for risk in liquidatable:
            submit(keeper, risk, scenarios=scenarios, rule=rule, native_price=price, block=block)
        landed += track(keeper, block)
    return KeeperPass(block=block, scenarios=scenarios, risks=risks, liquidations=landed)


def submit(
    keeper: Keeper,
    risk: AccountRisk,
    *,
    scenarios: PublishedScenarioSet,
    rule: LiquidationParameters,
    native_price: int,
    block: int,
) -> Submission | None:
    """Liquidate ``risk``'s account if no transaction in the state file already does, its
    simulation succeeds and it pays: claim, simulate, sign and record in one exclusive
    transaction on the state file, then broadcast. Returns the submission, if any."""
    deployment, policy = keeper.deployment, keeper.policy
    chain, clearinghouse = deployment.chain, deployment.clearinghouse
    address = risk.account.address
    certificate = witness_certificate(scenarios.epoch, scenarios.tree, risk.witnesses)
    fraction = max_liquidation_fraction(
        rule, risk.equity, risk.certified_maintenance_margin, risk.position_value
    )
    data = clearinghouse.encode_abi("liquidate", [address, certificate.as_abi(), fraction])
    sender = keeper.key.address
    with claim(keeper.state):
        blocking = blocking_submission(keeper.state, address, block)
        if blocking is not None:
            keeper.report(
                {
                    "action": KeeperAction.SKIPPED,
                    "block": block,
                    "account": address,
                    "reason": f"already liquidated by {blocking.tx_hash} ({blocking.status})",
                }
            )
            return None
        simulation = chain.simulate(sender, clearinghouse.address, data)
        if simulation.reverted is not None:
            _report_failed_simulation(keeper, address, simulation, block)
            return None
        reward = _simulated_reward(keeper, simulation)
        fees = chain.fees(policy.priority_fee)
        cost = gas_cost(simulation.gas_used, fees, native_price)
        if policy.min_profit is not None and reward - cost <= policy.min_profit:
            keeper.report(
                {
                    "action": KeeperAction.UNPROFITABLE,
                    "block": block,
                    "account": address,
                    "reward": str(reward),
                    "gas_cost": str(cost),
                    "min_profit": str(policy.min_profit),
                }
            )
            return None
        gas_limit = chain.w3.eth.get_block("latest")["gasLimit"]
        submission = sign_submission(
            chain,
            keeper.key,
            nonce=next_nonce(
                keeper.state, sender, chain.w3.eth.get_transaction_count(sender, "pending")
            ),
            account=address,
            kind=SubmissionKind.LIQUIDATION,
            recipient=clearinghouse.address,
            data=data,
            gas=min(simulation.gas_used + simulation.gas_used // GAS_BUFFER_DIVISOR, gas_limit),
            fees=fees,
            screened_block=block,
            signed_block=block,
        )
        record(keeper.state, submission)
    broadcast(keeper, submission)
    keeper.report(
        {
            "action": KeeperAction.SUBMITTED,
            "block": block,
            "account": address,
            "tx": submission.tx_hash,
            "nonce": submission.nonce,
            "fraction": str(fraction),
            "expected_reward": str(reward),
            "gas_cost": str(cost),
            "max_fee": submission.fees.max_fee,
            "priority_fee": submission.fees.priority_fee,
        }
    )
    return submission


def _simulated_reward(keeper: Keeper, simulation: Simulation) -> int:
    """The keeper reward of the Liquidated event a successful simulation emitted. A
    simulation without exactly one is a malformed answer of the node: RpcError (retried like
    any node failure); ``Chain.simulate`` has checked that every project log decodes."""
    liquidated = keeper.deployment.clearinghouse.events.Liquidated()
    entries = [
        entry
        for entry in simulation.logs
        if entry["address"] == liquidated.address
        and entry["topics"][:1] == [HexBytes(liquidated.topic)]
    ]
    if len(entries) != 1:
        raise RpcError(
            f"eth_simulateV1 ran the liquidation without a revert but with {len(entries)} "
            "Liquidated events, not 1"
        )
    return liquidated.process_log(entries[0])["args"]["keeperReward"]


def _report_failed_simulation(
    keeper: Keeper, account: str, simulation: Simulation, block: int
) -> None:
    """A liquidation that would revert: lost to another keeper in a block after ``block``
    (none to look in while ``block`` is the head), or not liquidatable for another reason
    (named by its decoded error)."""
    assert simulation.reverted is not None
    latest = keeper.deployment.chain.w3.eth.block_number
    winner = liquidated_by_another(keeper, account, block + 1, latest) if latest > block else None
    if winner is not None:
        keeper.report(
            {"action": KeeperAction.LOST_RACE, "block": block, "account": account, "winner": winner}
        )
        return
    keeper.report(
        {
            "action": KeeperAction.SKIPPED,
            "block": block,
            "account": account,
            "reason": f"the simulation reverted: {simulation.reverted}",
        }
    )


def liquidated_by_another(keeper: Keeper, account: str, first: int, last: int | str) -> str | None:
    """The transaction hash of a liquidation of ``account`` by another keeper in blocks
    ``first`` to ``last``, if there is one."""
    logs = keeper.deployment.clearinghouse.events.Liquidated().get_logs(
        from_block=first, to_block=last, argument_filters={"account": account}
    )
    for entry in logs:
        if entry["args"]["keeper"] != keeper.key.address:
            return entry["transactionHash"].to_0x_hex()
    return None


def broadcast(keeper: Keeper, submission: Submission) -> bool:
    """Send the signed transaction; False if the node refuses it because its maximum fee
    is below the base fee (it needs a replacement). A node that already has it, or has
    mined its nonce, is not an error: ``track`` resolves the submission from receipts."""
    try:
        keeper.deployment.chain.w3.eth.send_raw_transaction(submission.raw_transaction)
    except Web3RPCError as error:
        message = str(error).lower()
        if "less than block base fee" in message:
            log.info("broadcast of %s: %s", submission.tx_hash, error)
            return False
        if "already" not in message and "nonce too low" not in message:
            raise
        log.info("broadcast of %s: %s", submission.tx_hash, error)
    return True


def track(keeper: Keeper, block: int) -> list[Liquidation]:
    """Resolve the keeper's pending submissions at ``block`` (see the module docstring),
    holding the state file's claim so that keepers sharing it never resolve or replace the
    same submission twice; returns the liquidations that landed. Raises ForeignChainError,
    touching nothing, if the node serves another chain than the state file's."""
    check_chain(keeper.deployment.chain, keeper.state)
    with claim(keeper.state):
        return _track(keeper, block)


def _track(keeper: Keeper, block: int) -> list[Liquidation]:
    sender = keeper.key.address
    for submission in resolved_since(keeper.state, sender, block - REORG_DEPTH):
        if _receipt(keeper, submission) is None:
            resolve(keeper.state, submission.tx_hash, SubmissionStatus.PENDING, None)
            keeper.report(
                {
                    "action": KeeperAction.REORGED,
                    "block": block,
                    "account": submission.account,
                    "tx": submission.tx_hash,
                }
            )
    pending = pending_submissions(keeper.state, sender)
    if not pending:
        return []
    w3 = keeper.deployment.chain.w3
    mined_nonce = w3.eth.get_transaction_count(sender, "latest")
    by_nonce: dict[int, list[Submission]] = {}
    for submission in pending:
        by_nonce.setdefault(submission.nonce, []).append(submission)
    landed = []
    for nonce, group in by_nonce.items():
        receipts = [(submission, _receipt(keeper, submission)) for submission in group]
        mined = [(submission, receipt) for submission, receipt in receipts if receipt is not None]
        if mined:
            (submission, receipt) = mined[0]
            landed += _settle(keeper, submission, receipt)
            for other in group:
                if other is not submission:
                    resolve(keeper.state, other.tx_hash, SubmissionStatus.REPLACED, None)
            continue
        if mined_nonce > nonce:
            for submission in group:
                resolve(keeper.state, submission.tx_hash, SubmissionStatus.REPLACED, None)
            keeper.report(
                {
                    "action": KeeperAction.NONCE_TAKEN,
                    "block": block,
                    "nonce": nonce,
                    "txs": [submission.tx_hash for submission in group],
                    "reason": "a transaction not in this state file used the nonce: "
                    "keepers that share a key must share the state file",
                }
            )
            continue
        newest = group[-1]
        if block - newest.signed_block >= keeper.policy.replace_after:
            replace(keeper, newest, block)
        elif not _known(keeper, newest):
            if broadcast(keeper, newest):
                keeper.report(
                    {"action": KeeperAction.REBROADCAST, "block": block, "tx": newest.tx_hash}
                )
            else:
                replace(keeper, newest, block)
    return landed


def _receipt(keeper: Keeper, submission: Submission) -> TxReceipt | None:
    try:
        return keeper.deployment.chain.w3.eth.get_transaction_receipt(submission.tx_hash)
    except TransactionNotFound:
        return None


def _known(keeper: Keeper, submission: Submission) -> bool:
    try:
        keeper.deployment.chain.w3.eth.get_transaction(submission.tx_hash)
    except TransactionNotFound:
        return False
    return True


def _settle(keeper: Keeper, submission: Submission, receipt: TxReceipt) -> list[Liquidation]:
    """Record a mined submission and report what it did."""
    block = receipt["blockNumber"]
    status = SubmissionStatus.MINED if receipt["status"] == 1 else SubmissionStatus.REVERTED
    resolve(keeper.state, submission.tx_hash, status, block)
    action: dict[str, Any] = {
        "block": block,
        "account": submission.account,
        "tx": submission.tx_hash,
        "nonce": submission.nonce,
        "gas_used": receipt["gasUsed"],
    }
    if submission.kind == SubmissionKind.CANCELLATION:
        keeper.report({"action": KeeperAction.CANCELLED, **action})
        return []
    if status == SubmissionStatus.REVERTED:
        winner = liquidated_by_another(keeper, submission.account, submission.screened_block, block)
        if winner is not None:
            keeper.report({"action": KeeperAction.LOST_RACE, "winner": winner, **action})
        else:
            keeper.report({"action": KeeperAction.REVERTED, **action})
        return []
    liquidation = liquidation_from_receipt(keeper.deployment, receipt)
    keeper.report(
        {
            "action": KeeperAction.LIQUIDATED,
            **action,
            "fraction": str(liquidation.fraction),
            "equity": str(liquidation.equity),
            "maintenance_margin": str(liquidation.maintenance_margin),
            "reward": str(liquidation.keeper_reward),
            "insurance_fee": str(liquidation.insurance_fee),
            "bad_debt": str(liquidation.bad_debt),
        }
    )
    return [liquidation]


def replace(keeper: Keeper, submission: Submission, block: int) -> Submission:
    """Replace an unmined submission with fees at least 12.5% higher: the same liquidation
    if it still simulates, else a cancellation of its nonce."""
    chain, policy = keeper.deployment.chain, keeper.policy
    sender = keeper.key.address
    fees = submission.fees.bumped(chain.fees(policy.priority_fee))
    kind, recipient, data, gas = SubmissionKind.CANCELLATION, sender, HexStr("0x"), CANCELLATION_GAS
    if submission.kind == SubmissionKind.LIQUIDATION:
        simulation = chain.simulate(sender, submission.recipient, submission.data)
        if simulation.reverted is None:
            kind, recipient, data, gas = (
                SubmissionKind.LIQUIDATION,
                submission.recipient,
                submission.data,
                submission.gas,
            )
    replacement = sign_submission(
        chain,
        keeper.key,
        nonce=submission.nonce,
        account=submission.account,
        kind=kind,
        recipient=recipient,
        data=data,
        gas=gas,
        fees=fees,
        screened_block=submission.screened_block,
        signed_block=block,
    )
    record(keeper.state, replacement)
    broadcast(keeper, replacement)
    keeper.report(
        {
            "action": KeeperAction.REPLACED,
            "block": block,
            "account": submission.account,
            "tx": submission.tx_hash,
            "replacement": replacement.tx_hash,
            "kind": kind,
            "nonce": submission.nonce,
            "max_fee": fees.max_fee,
            "priority_fee": fees.priority_fee,
        }
    )
    return replacement


def settle_pending(keeper: Keeper, timeout: float, poll_interval: float) -> list[Liquidation]:
    """Track the keeper's pending submissions, replacing them as blocks pass, until none is
    left; raise KeeperError if some still are after ``timeout`` seconds."""
    landed: list[Liquidation] = []
    deadline = time.monotonic() + timeout
    chain = keeper.deployment.chain
    while True:
        landed += track(keeper, chain.w3.eth.block_number)
        pending = pending_submissions(keeper.state, keeper.key.address)
        if not pending:
            return landed
        if time.monotonic() > deadline:
            raise KeeperError(
                f"{len(pending)} transactions still pending after {timeout:g} s "
                f"(first: {pending[0].tx_hash}); a rerun with the same state file tracks them"
            )
        time.sleep(poll_interval)


def run_keeper(
    keeper: Keeper,
    once: bool = False,
    poll_interval: float = 1.0,
    settle_timeout: float = 120.0,
    attempts: int = 6,
) -> KeeperPass:
    """Run a pass at every new block until interrupted (Ctrl-C, SIGTERM); with ``once``,
    one pass, then wait for its transactions to be mined and return it, with every
    liquidation that landed meanwhile. An RPC failure is retried with exponential backoff;
    with ``once``, after ``attempts`` failures in a row it is raised."""
    chain = keeper.deployment.chain
    latest: KeeperPass | None = None
    failures = 0
    while True:
        try:
            block = chain.w3.eth.block_number
            if latest is None or (not once and block != latest.block):
                latest = keeper_pass(keeper, block)
            if once:
                landed = settle_pending(keeper, settle_timeout, poll_interval)
                return KeeperPass(
                    latest.block, latest.scenarios, latest.risks, latest.liquidations + landed
                )
            failures = 0
        except NODE_FAILURES as error:
            failures += 1
            if once and failures >= attempts:
                raise
            delay = min(BACKOFF_FIRST * 2 ** (failures - 1), BACKOFF_MAX)
            keeper.report(
                {
                    "action": KeeperAction.RETRY,
                    "error": f"{type(error).__name__}: {error}",
                    "delay": delay,
                }
            )
            time.sleep(delay)
            continue
        time.sleep(poll_interval)


def run_once(
    deployment: Deployment,
    key: LocalAccount,
    state: KeeperState | None = None,
    policy: KeeperPolicy | None = None,
    report: Report = log_action,
) -> KeeperPass:
    """One keeper pass at the latest block and the wait for its transactions; without a
    ``state`` file, with one in memory (every account is found from the deployment's first
    block)."""
    if state is None:
        state = open_state(":memory:", deployment.clearinghouse.address, deployment.start_block)
    keeper = Keeper(
        deployment=deployment, key=key, state=state, policy=policy or KeeperPolicy(), report=report
    )
    return run_keeper(keeper, once=True, poll_interval=0.2)
