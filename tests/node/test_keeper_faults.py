"""The keeper and the auditor's replay under faults of the chain, the node and the network.

Reorgs are Anvil's snapshot and revert; RPC faults go through a fault-injecting HTTP proxy
(``tests/faulty_rpc.py``) in front of a real node; a restart stops the Anvil process and
starts another on the same port, with its chain (``--state``) or without. The keeper tests
check that no condemned account is missed or liquidated twice, that no signed transaction
is lost or signed again, and what the state file holds after; the replay tests, that a
replay never judges a liquidation the chain does not hold, or holds in another branch.
"""

import json
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from web3.types import RPCEndpoint, RPCResponse

import vmargin.audit.replay as replay
import vmargin.keeper.service as keeper_service
import vmargin.keeper.state as keeper_state
from support.crowd import Crowd, open_crowd
from support.faulty_rpc import BAD_GATEWAY, DROP, GARBLED, TIMEOUT, TRUNCATED, FaultyRpc
from support.keeper_checks import (
    PROTOCOL_KEEPER,
    SCENARIOS,
    TRADERS,
    all_succeeded_with_gapless_nonces,
    liquidatable_after_crash,
    liquidated_once,
    of,
)
from support.node import rpc
from vmargin.audit.replay import ReplayError, replay_liquidation
from vmargin.chain.anvil import AnvilNode
from vmargin.chain.client import Chain
from vmargin.chain.deployment import Deployment, attach, mint_and_deposit
from vmargin.cli.main import main
from vmargin.keeper.screen import known_accounts
from vmargin.keeper.service import Keeper, KeeperPass, keeper_pass, run_keeper, run_once, track
from vmargin.keeper.state import (
    REORG_DEPTH,
    ForeignChainError,
    KeeperState,
    ReorgTooDeepError,
    open_state,
    rewind_past_reorg,
    sync_accounts,
)
from vmargin.keeper.submissions import SubmissionStatus, pending_submissions
from vmargin.oracle.feeds import push_price


@pytest.fixture
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """The keeper's first retry after 10 ms instead of 0.5 s."""
    monkeypatch.setattr(keeper_service, "BACKOFF_FIRST", 0.01)


@pytest.fixture
def crowd_proxy(crowd_node: tuple[AnvilNode, Crowd]) -> Iterator[FaultyRpc]:
    """A fault-injecting proxy in front of the crowd's node."""
    node, _ = crowd_node
    with FaultyRpc(node.rpc_url, delay=2.0) as proxy:
        yield proxy


def submission_statuses(state: KeeperState) -> dict[str, list[str]]:
    """Each account's submissions in the state file: their statuses, in signing order."""
    found: dict[str, list[str]] = {}
    rows = state.connection.execute("SELECT account, status FROM submissions ORDER BY rowid")
    for account, status in rows:
        found.setdefault(account, []).append(status)
    return found


def in_file(state: KeeperState) -> list[str]:
    """Everything the state file holds, as SQL."""
    return list(state.connection.iterdump())


def test_a_reorg_below_the_cursor_rewinds_it_and_the_new_branch_account_is_screened(
    crowd: Crowd, tmp_path: Path
) -> None:
    """A keeper pass reads up to block ``cursor``; a reorg from block ``fork`` replaces
    those blocks with a shorter branch on which another account deposits, at a height below
    the old cursor. The next pass names the rewind, forgets the account that vanished with
    the old branch and screens the new one: exactly the accounts a full scan finds, but the
    backstop."""
    deployment = crowd.deployment
    w3 = deployment.chain.w3
    actions: list[dict[str, Any]] = []
    state = open_state(tmp_path / "keeper.sqlite", deployment.clearinghouse.address)
    keeper = Keeper(
        deployment=deployment,
        key=crowd.keepers[0],
        state=state,
        policy=PROTOCOL_KEEPER,
        report=actions.append,
    )
    vanished, newcomer = crowd.keepers[4], crowd.keepers[5]
    fork = w3.eth.block_number
    snapshot = rpc(crowd.deployment.chain, "evm_snapshot")
    mint_and_deposit(deployment, crowd.owner, vanished, 1_000)
    rpc(crowd.deployment.chain, "anvil_mine", hex(5))
    cursor = w3.eth.block_number
    keeper_pass(keeper, cursor)
    assert vanished.address in state.accounts()

    rpc(crowd.deployment.chain, "evm_revert", snapshot)
    mint_and_deposit(deployment, crowd.owner, newcomer, 1_000)
    head = w3.eth.block_number
    assert head < cursor
    again = keeper_pass(keeper, head)
    assert of(actions, "rewound") == [
        {"action": "rewound", "block": head, "cursor": cursor, "fork": fork}
    ]
    screened = [risk.account.address for risk in again.risks]
    assert state.accounts() == known_accounts(deployment)
    assert screened == [a for a in state.accounts() if a != deployment.backstop]
    assert newcomer.address in screened and vanished.address not in screened
    assert state.cursor == head


def test_a_reorg_deeper_than_the_kept_hashes_is_refused_and_the_file_left_alone(
    crowd: Crowd, tmp_path: Path
) -> None:
    """A reorg from more than ``REORG_DEPTH`` blocks below the cursor leaves none of the
    block hashes the state file kept on the chain: the pass refuses by name, and the state
    file is as it was."""
    deployment = crowd.deployment
    state = open_state(tmp_path / "keeper.sqlite", deployment.clearinghouse.address)
    keeper = Keeper(
        deployment=deployment, key=crowd.keepers[0], state=state, policy=PROTOCOL_KEEPER
    )
    snapshot = rpc(crowd.deployment.chain, "evm_snapshot")
    rpc(crowd.deployment.chain, "anvil_mine", hex(REORG_DEPTH + 6))
    keeper_pass(keeper, deployment.chain.w3.eth.block_number)
    before = in_file(state)

    rpc(crowd.deployment.chain, "evm_revert", snapshot)
    mint_and_deposit(deployment, crowd.owner, crowd.keepers[5], 1_000)
    rpc(crowd.deployment.chain, "anvil_mine", hex(REORG_DEPTH + 6))
    with pytest.raises(ReorgTooDeepError, match=f"a reorg deeper than {REORG_DEPTH} blocks"):
        keeper_pass(keeper, deployment.chain.w3.eth.block_number)
    assert in_file(state) == before


def test_a_keeper_pass_through_a_faulty_node_retries_and_liquidates_each_account_once(
    crowd: Crowd, crowd_proxy: FaultyRpc, tmp_path: Path, quick_backoff: None
) -> None:
    """Between the keeper and the node, a proxy drops connections, answers HTTP 502, holds
    answers past the client's 1 s timeout (after the node has acted: a transaction sent is
    mined), and answers truncated or garbled JSON, on the requests each step of a pass
    makes. The keeper retries (web3 resends a read or a raw transaction; the keeper reruns
    the pass on the rest, the simulation included), and each condemned account is
    liquidated exactly once, by the transaction the keeper signed for it."""
    condemned, first = liquidatable_after_crash(crowd)
    key = crowd.keepers[0]
    deployment = attach(
        Chain.connect(crowd_proxy.url, timeout=1.0), crowd.deployment.clearinghouse.address
    )
    for fault, method in [
        (DROP, "eth_getLogs"),
        (GARBLED, "eth_getBlockByNumber"),
        (BAD_GATEWAY, "eth_call"),
        (TRUNCATED, "eth_simulateV1"),
        (DROP, "eth_simulateV1"),
        (TIMEOUT, "eth_simulateV1"),
        (TIMEOUT, "eth_sendRawTransaction"),
        (GARBLED, "eth_getTransactionReceipt"),
        (TIMEOUT, "eth_getTransactionReceipt"),
    ]:
        crowd_proxy.fail(fault, method)
    actions: list[dict[str, Any]] = []
    state = open_state(tmp_path / "keeper.sqlite", deployment.clearinghouse.address)
    keeper = Keeper(
        deployment=deployment, key=key, state=state, policy=PROTOCOL_KEEPER, report=actions.append
    )
    done = run_keeper(keeper, once=True, poll_interval=0.01)
    assert crowd_proxy.pending() == 0
    errors = {action["error"].split(":")[0] for action in of(actions, "retry")}
    assert {"JSONDecodeError", "ConnectionError", "ReadTimeout"} <= errors
    assert liquidated_once(crowd, first, condemned)
    assert all_succeeded_with_gapless_nonces(crowd, key.address, first, len(condemned))
    assert submission_statuses(state) == {
        account: [SubmissionStatus.MINED] for account in condemned
    }
    assert {liquidation.account for liquidation in done.liquidations} == condemned
    assert state.accounts() == known_accounts(crowd.deployment)
    assert state.cursor == done.block


def test_keeper_run_through_a_faulty_node_finishes_or_names_the_failure(
    crowd: Crowd,
    crowd_proxy: FaultyRpc,
    tmp_path: Path,
    quick_backoff: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``vmargin keeper run --once`` through the proxy: with a few faults it retries and
    liquidates each condemned account once; with a node that garbles every answer it exits
    1 with one line naming the failure, not a traceback."""
    condemned, first = liquidatable_after_crash(crowd)
    key = crowd.keepers[0]
    arguments = [
        "keeper",
        "run",
        "--rpc-url",
        crowd_proxy.url,
        "--clearinghouse",
        crowd.deployment.clearinghouse.address,
        "--key",
        "0x" + key.key.hex(),
        "--state",
        str(tmp_path / "keeper.sqlite"),
        "--once",
        "--any-profit",
    ]
    crowd_proxy.fail(BAD_GATEWAY, "eth_simulateV1", times=2)
    crowd_proxy.fail(TRUNCATED, "eth_getTransactionReceipt")
    crowd_proxy.fail(DROP, "eth_blockNumber")
    capsys.readouterr()
    assert main(arguments) == 0
    actions = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert crowd_proxy.pending() == 0
    assert of(actions, "retry")
    assert {action["account"] for action in of(actions, "liquidated")} == condemned
    assert liquidated_once(crowd, first, condemned)

    crowd_proxy.fail(GARBLED, "eth_blockNumber", times=100)
    assert main(arguments) == 1
    captured = capsys.readouterr()
    retries = of([json.loads(line) for line in captured.out.splitlines()], "retry")
    assert len(retries) == 5  # the sixth failure in a row ends the run
    assert captured.err.strip().startswith("vmargin: the node failed: JSONDecodeError: ")
    assert "Traceback" not in captured.err


def test_a_node_that_lies_about_a_liquidations_simulation_is_retried_not_believed(
    crowd: Crowd, tmp_path: Path, quick_backoff: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The node answers the keeper's simulation of a liquidation with success, but without
    its Liquidated event, or with one whose data does not decode: the keeper cannot know
    its reward, so it signs nothing, names the lie and retries the pass; once the node
    answers honestly, each condemned account is liquidated once."""
    condemned, first = liquidatable_after_crash(crowd)
    deployment, key = crowd.deployment, crowd.keepers[0]
    provider = deployment.chain.w3.provider
    honest = provider.make_request
    lies = iter(
        [
            lambda logs: [],
            lambda logs: [{**log, "data": log["data"][:-2]} for log in logs],
        ]
    )

    def lying(method: RPCEndpoint, params: Any) -> RPCResponse:
        response = honest(method, params)
        lie = next(lies, None) if method == "eth_simulateV1" else None
        if lie is not None:
            (call,) = response["result"][0]["calls"]
            call["logs"] = lie(call["logs"])
        return response

    monkeypatch.setattr(provider, "make_request", lying)
    actions: list[dict[str, Any]] = []
    state = open_state(tmp_path / "keeper.sqlite", deployment.clearinghouse.address)
    keeper = Keeper(
        deployment=deployment, key=key, state=state, policy=PROTOCOL_KEEPER, report=actions.append
    )
    run_keeper(keeper, once=True, poll_interval=0.01)
    assert [action["error"].split(":")[0] for action in of(actions, "retry")] == ["RpcError"] * 2
    assert liquidated_once(crowd, first, condemned)
    assert all_succeeded_with_gapless_nonces(crowd, key.address, first, len(condemned))
    assert submission_statuses(state) == {
        account: [SubmissionStatus.MINED] for account in condemned
    }


def keep_in_thread(
    deployment: Deployment, key: Any, path: Path, actions: list[dict[str, Any]]
) -> tuple[threading.Thread, dict[str, Any]]:
    """Run ``run_keeper(once=True)`` in a thread, on its own connection to the state file at
    ``path``; the thread and where it leaves its KeeperPass (or error)."""
    outcome: dict[str, Any] = {}

    def keep() -> None:
        state = open_state(path, deployment.clearinghouse.address)
        keeper = Keeper(
            deployment=deployment,
            key=key,
            state=state,
            policy=PROTOCOL_KEEPER,
            report=actions.append,
        )
        try:
            outcome["pass"] = run_keeper(keeper, once=True, poll_interval=0.01)
        except Exception as error:
            outcome["error"] = error
        finally:
            state.connection.close()

    thread = threading.Thread(target=keep)
    thread.start()
    return thread, outcome


def test_the_keeper_rides_out_a_node_restart_and_rebroadcasts_what_the_node_lost(
    tmp_path: Path, quick_backoff: None
) -> None:
    """The keeper signs and broadcasts its liquidations (automine off, so none is mined),
    then the node stops, with its chain saved. The keeper, running, meets the outage and
    retries; the node comes back on the same port with its chain but an empty mempool. The
    keeper broadcasts the transactions it signed again, and they land: each condemned
    account liquidated once, by the transaction signed before the restart."""
    chain_file = tmp_path / "anvil.json"
    node = AnvilNode(state=chain_file).start()
    try:
        crowd = open_crowd(node.rpc_url, TRADERS, SCENARIOS)
        condemned, first = liquidatable_after_crash(crowd)
        deployment, key = crowd.deployment, crowd.keepers[0]
        path = tmp_path / "keeper.sqlite"
        state = open_state(path, deployment.clearinghouse.address)
        actions: list[dict[str, Any]] = []
        rpc(crowd.deployment.chain, "evm_setAutomine", False)
        keeper = Keeper(
            deployment=deployment,
            key=key,
            state=state,
            policy=PROTOCOL_KEEPER,
            report=actions.append,
        )
        keeper_pass(keeper, deployment.chain.w3.eth.block_number)
        signed = {action["tx"] for action in of(actions, "submitted")}
        assert len(signed) == len(condemned)

        port = node.port
        assert port is not None  # the node is running
        node.stop()
        thread, outcome = keep_in_thread(deployment, key, path, actions)
        deadline = time.monotonic() + 30
        while not of(actions, "retry") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert of(actions, "retry"), "the keeper did not meet the outage"
        node = AnvilNode(port=port, state=chain_file).start()
        thread.join(timeout=120)
        assert isinstance(outcome.get("pass"), KeeperPass), outcome
        assert {action["tx"] for action in of(actions, "rebroadcast")} == signed
        assert {action["tx"] for action in of(actions, "liquidated")} == signed
        assert liquidated_once(crowd, first, condemned)
        assert all_succeeded_with_gapless_nonces(crowd, key.address, first, len(condemned))
        assert submission_statuses(state) == {
            account: [SubmissionStatus.MINED] for account in condemned
        }
    finally:
        node.stop()


def test_a_node_restarted_without_its_chain_stops_the_keeper_before_it_touches_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The keeper liquidated on a node that then restarts on the same URL with a new chain
    (same chain id, another genesis block). The keeper refuses to go on, by name, before it
    moves its cursor, marks a mined liquidation pending, or broadcasts a signed transaction
    into the new chain; ``vmargin keeper run`` started there names the missing
    clearinghouse. The state file is as it was."""
    node = AnvilNode().start()
    try:
        crowd = open_crowd(node.rpc_url, TRADERS, SCENARIOS)
        condemned, _ = liquidatable_after_crash(crowd)
        deployment, key = crowd.deployment, crowd.keepers[0]
        path = tmp_path / "keeper.sqlite"
        actions: list[dict[str, Any]] = []
        state = open_state(path, deployment.clearinghouse.address)
        keeper = Keeper(
            deployment=deployment,
            key=key,
            state=state,
            policy=PROTOCOL_KEEPER,
            report=actions.append,
        )
        done = run_keeper(keeper, once=True, poll_interval=0.01)
        assert {liquidation.account for liquidation in done.liquidations} == condemned
        before = in_file(state)

        port = node.port
        assert port is not None  # the node is running
        node.stop()
        node = AnvilNode(port=port).start()
        with pytest.raises(ForeignChainError, match="but the node serves chain 31337 with genesis"):
            run_keeper(keeper, once=True, poll_interval=0.01)
        with pytest.raises(ForeignChainError):
            track(keeper, deployment.chain.w3.eth.block_number)
        assert in_file(state) == before
        assert deployment.chain.w3.eth.get_transaction_count(key.address, "pending") == 0
        assert not of(actions, "reorged") and not of(actions, "rebroadcast")

        address = deployment.clearinghouse.address
        capsys.readouterr()
        command = ["keeper", "run", "--rpc-url", node.rpc_url, "--clearinghouse", address]
        command += ["--key", "0x" + key.key.hex(), "--state", str(path), "--once"]
        assert main(command) == 1
        assert capsys.readouterr().err.strip() == (
            f"vmargin: Clearinghouse {address}: no contract there on chain 31337"
        )
        assert in_file(state) == before
    finally:
        node.stop()


def test_replay_names_a_liquidation_a_reorg_took_away_and_one_not_mined_yet(
    crowd_node: tuple[AnvilNode, Crowd],
    crowd: Crowd,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A liquidation replays to the wei; once a reorg took it away, the replay, and
    ``vmargin replay`` (exit 1, no report), name it a transaction the node has not mined.
    A liquidation still in the mempool is named pending."""
    node, _ = crowd_node
    liquidatable_after_crash(crowd)
    deployment, key = crowd.deployment, crowd.keepers[0]
    address = deployment.clearinghouse.address
    before = rpc(crowd.deployment.chain, "evm_snapshot")
    tx_hash = run_once(deployment, key, policy=PROTOCOL_KEEPER).liquidations[0].tx_hash
    assert replay_liquidation(deployment, tx_hash).matches
    rpc(crowd.deployment.chain, "evm_revert", before)
    unknown = f"{tx_hash} is not a transaction this node has mined: unknown to it, or taken away"
    with pytest.raises(ReplayError, match=unknown):
        replay_liquidation(deployment, tx_hash)
    capsys.readouterr()
    command = ["replay", tx_hash, "--rpc-url", node.rpc_url, "--clearinghouse", address]
    assert main([*command, "--out", str(tmp_path / "reports")]) == 1
    assert capsys.readouterr().err.strip() == f"vmargin: {unknown} by a reorg"
    assert not (tmp_path / "reports").exists()

    rpc(crowd.deployment.chain, "evm_setAutomine", False)
    state = open_state(":memory:", address)
    keeper_pass(
        Keeper(deployment=deployment, key=key, state=state, policy=PROTOCOL_KEEPER),
        deployment.chain.w3.eth.block_number,
    )
    pending = pending_submissions(state, key.address)[0].tx_hash
    with pytest.raises(ReplayError, match=f"{pending} is pending: it is not mined yet"):
        replay_liquidation(deployment, pending)


def test_a_reorg_during_a_replay_is_named_not_judged(
    crowd: Crowd, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The replay has read the liquidation and the account at the block before it when a
    reorg replaces that block with one of a branch where the crash went deeper. Reading on,
    it would judge the contract's numbers against the other branch's price and report a
    mismatch the contract never made; it names the reorg instead."""
    deployment = crowd.deployment
    before_crash = rpc(crowd.deployment.chain, "evm_snapshot")
    liquidatable_after_crash(crowd)
    liquidation = run_once(deployment, crowd.keepers[0], policy=PROTOCOL_KEEPER).liquidations[0]
    read_account = replay.read_account

    def reorg_after_reading(*arguments: Any) -> Any:
        account = read_account(*arguments)
        rpc(crowd.deployment.chain, "evm_revert", before_crash)
        price = crowd.open_price * Decimal("0.5")
        push_price(deployment.chain, crowd.owner, deployment.aggregators[0], price)
        rpc(
            crowd.deployment.chain,
            "anvil_mine",
            hex(liquidation.block + 5 - deployment.chain.w3.eth.block_number),
        )
        return account

    monkeypatch.setattr(replay, "read_account", reorg_after_reading)
    with pytest.raises(ReplayError, match=f"a reorg replaced block {liquidation.block} of "):
        replay_liquidation(deployment, liquidation.tx_hash)


def test_a_rewind_by_a_keeper_sharing_the_file_makes_the_other_read_its_chunk_again(
    crowd: Crowd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keeper A reads the events of its next chunk when a reorg replaces the blocks it read
    before, and keeper B, on the same state file, rewinds the cursor past it. A's chunk was
    read from a cursor that is no longer the file's, so it is not written: A reads again
    from B's fork and finds the new branch's account, not the old one's."""
    deployment = crowd.deployment
    w3 = deployment.chain.w3
    path = tmp_path / "shared.sqlite"
    first, second = (open_state(path, deployment.clearinghouse.address) for _ in range(2))
    vanished, newcomer = crowd.keepers[4], crowd.keepers[5]
    snapshot = rpc(crowd.deployment.chain, "evm_snapshot")
    mint_and_deposit(deployment, crowd.owner, vanished, 1_000)
    sync_accounts(deployment, first, w3.eth.block_number)
    rpc(crowd.deployment.chain, "anvil_mine", hex(3))
    head = w3.eth.block_number
    read = keeper_state.accounts_named
    reorgs = iter([True])

    def reorged_while_reading(*arguments: Any) -> list[tuple[int, str]]:
        if next(reorgs, False):
            rpc(crowd.deployment.chain, "evm_revert", snapshot)
            mint_and_deposit(deployment, crowd.owner, newcomer, 1_000)
            rpc(crowd.deployment.chain, "anvil_mine", hex(head - w3.eth.block_number))
            assert rewind_past_reorg(deployment.chain, second) is not None
        return read(*arguments)

    monkeypatch.setattr(keeper_state, "accounts_named", reorged_while_reading)
    sync_accounts(deployment, first, head)
    assert first.accounts() == second.accounts() == known_accounts(deployment)
    assert newcomer.address in first.accounts() and vanished.address not in first.accounts()
    assert first.cursor == head
