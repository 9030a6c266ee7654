"""The keeper service on Anvil: races, crashes, stuck transactions, profit, retries.

One crowd of leveraged longs is opened once per module; every test starts from an Anvil
snapshot of it taken before the crash and reverts to it after. Keepers run as real
``vmargin keeper run`` processes where the test is about processes (races, a kill), and
in-process where the test steers block production (automine off).
"""

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from requests.exceptions import ConnectionError as RequestsConnectionError
from web3 import HTTPProvider
from web3.types import RPCEndpoint, RPCError, RPCResponse

import vmargin.keeper.service as keeper_service
from support.crowd import Crowd
from support.keeper_checks import (
    PROTOCOL_KEEPER,
    all_succeeded_with_gapless_nonces,
    liquidatable_after_crash,
    liquidated_once,
    liquidated_since,
    of,
    transactions_from,
)
from support.node import rpc
from vmargin.chain.anvil import AnvilNode
from vmargin.chain.reads import read_account, read_marks
from vmargin.cli.demo import CRASH
from vmargin.cli.main import main
from vmargin.keeper.screen import assess, screen
from vmargin.keeper.service import (
    Keeper,
    KeeperPass,
    KeeperPolicy,
    keeper_pass,
    run_keeper,
    run_once,
    track,
)
from vmargin.keeper.state import open_state
from vmargin.keeper.submissions import SubmissionStatus, pending_submissions
from vmargin.numerics.fixedpoint import WAD
from vmargin.oracle.feeds import push_answer, push_price


def keeper_command(node: AnvilNode, crowd: Crowd, key: Any, state: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "vmargin.cli.main",
        "keeper",
        "run",
        "--rpc-url",
        node.rpc_url,
        "--clearinghouse",
        crowd.deployment.clearinghouse.address,
        "--key",
        "0x" + key.key.hex(),
        "--state",
        str(state),
        *extra,
    ]


def run_keepers(commands: list[list[str]]) -> list[list[dict[str, Any]]]:
    """Start every command at once, wait for all; each one's stdout as JSON actions."""
    processes = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for command in commands
    ]
    outputs = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
        outputs.append([json.loads(line) for line in stdout.splitlines()])
    return outputs


def retrying_pass(
    crowd: Crowd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[dict[str, Any]], KeeperPass]:
    """One pass of the protocol's keeper with a 10 ms first backoff: its actions and result."""
    monkeypatch.setattr(keeper_service, "BACKOFF_FIRST", 0.01)
    actions: list[dict[str, Any]] = []
    deployment = crowd.deployment
    state = open_state(tmp_path / "keeper.sqlite", deployment.clearinghouse.address)
    keeper = Keeper(
        deployment=deployment,
        key=crowd.keepers[0],
        state=state,
        policy=PROTOCOL_KEEPER,
        report=actions.append,
    )
    return actions, run_keeper(keeper, once=True, poll_interval=0.01)


def test_two_keepers_sharing_a_key_and_a_state_file_never_double_submit(
    crowd_node: tuple[AnvilNode, Crowd], crowd: Crowd, tmp_path: Path
) -> None:
    node, _ = crowd_node
    condemned, first = liquidatable_after_crash(crowd)
    key, state = crowd.keepers[0], tmp_path / "shared.sqlite"
    command = keeper_command(node, crowd, key, state, "--once", "--any-profit")
    outputs = run_keepers([command, command])
    assert liquidated_once(crowd, first, condemned)
    assert all_succeeded_with_gapless_nonces(crowd, key.address, first, len(condemned))
    submitted = [action["account"] for output in outputs for action in of(output, "submitted")]
    assert sorted(submitted) == sorted(condemned)


def test_two_keepers_with_their_own_keys_race_and_each_account_is_liquidated_once(
    crowd_node: tuple[AnvilNode, Crowd], crowd: Crowd, tmp_path: Path
) -> None:
    node, _ = crowd_node
    condemned, first = liquidatable_after_crash(crowd)
    keys = crowd.keepers[:2]
    outputs = run_keepers(
        [
            keeper_command(node, crowd, key, tmp_path / f"{i}.sqlite", "--once", "--any-profit")
            for i, key in enumerate(keys)
        ]
    )
    assert liquidated_once(crowd, first, condemned)
    for key, output in zip(keys, outputs, strict=True):
        submitted = [action["account"] for action in of(output, "submitted")]
        assert len(submitted) == len(set(submitted))  # never twice from one key
        failed = [t for t in transactions_from(crowd, key.address, first) if t["status"] != 1]
        # A transaction mined after the rival's is reported as a lost race, not an error.
        assert len(failed) == len([a for a in of(output, "lost_race") if "tx" in a])
        assert not of(output, "reverted")


def test_a_keeper_killed_mid_pass_and_restarted_finishes_the_job(
    crowd_node: tuple[AnvilNode, Crowd], crowd: Crowd, tmp_path: Path
) -> None:
    node, _ = crowd_node
    condemned, first = liquidatable_after_crash(crowd)
    key, state = crowd.keepers[0], tmp_path / "keeper.sqlite"
    command = keeper_command(node, crowd, key, state, "--once", "--any-profit")
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert process.stdout is not None
    for line in process.stdout:
        if json.loads(line)["action"] == "submitted":
            os.kill(process.pid, signal.SIGKILL)
            break
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert sum(liquidated_since(crowd, first).values()) < len(condemned)

    # The restarted keeper shards its screen over two processes: the same liquidations.
    (restarted,) = run_keepers([[*command, "--workers", "2"]])
    assert liquidated_once(crowd, first, condemned)
    assert all_succeeded_with_gapless_nonces(crowd, key.address, first, len(condemned))
    assert of(restarted, "liquidated")


def test_a_transaction_signed_but_never_broadcast_is_broadcast_on_restart(
    crowd: Crowd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The keeper dies between writing a signed liquidation and broadcasting it: the rerun
    finds it in the state file and broadcasts it, instead of signing another."""
    condemned, first = liquidatable_after_crash(crowd)
    deployment, key = crowd.deployment, crowd.keepers[0]
    path = tmp_path / "keeper.sqlite"

    def die(*_: Any) -> None:
        raise KeyboardInterrupt("killed before the broadcast")

    monkeypatch.setattr(keeper_service, "broadcast", die)
    with pytest.raises(KeyboardInterrupt):
        run_once(
            deployment, key, open_state(path, deployment.clearinghouse.address), PROTOCOL_KEEPER
        )
    monkeypatch.undo()
    state = open_state(path, deployment.clearinghouse.address)
    (written,) = pending_submissions(state, key.address)
    assert sum(liquidated_since(crowd, first).values()) == 0

    actions: list[dict[str, Any]] = []
    run_once(deployment, key, state, PROTOCOL_KEEPER, actions.append)
    assert [action["tx"] for action in of(actions, "rebroadcast")] == [written.tx_hash]
    assert liquidated_once(crowd, first, condemned)
    assert all_succeeded_with_gapless_nonces(crowd, key.address, first, len(condemned))


def mine_with_base_fee(crowd: Crowd, base_fee: int | None = None) -> int:
    """Mine one block (automine is off), optionally at ``base_fee`` wei; its number."""
    if base_fee is not None:
        rpc(crowd.deployment.chain, "anvil_setNextBlockBaseFeePerGas", hex(base_fee))
    rpc(crowd.deployment.chain, "evm_mine")
    return crowd.deployment.chain.w3.eth.block_number


def test_a_liquidation_priced_out_by_a_base_fee_spike_is_replaced_with_higher_fees(
    crowd: Crowd, tmp_path: Path
) -> None:
    """The base fee jumps above the keeper's maximum fee before its liquidations are mined:
    the node drops them, and the keeper replaces each with fees at least 1/8 higher and at
    least what the chain asks now, with the same nonce; the replacements land."""
    condemned, first = liquidatable_after_crash(crowd)
    deployment, key = crowd.deployment, crowd.keepers[0]
    actions: list[dict[str, Any]] = []
    state = open_state(tmp_path / "keeper.sqlite", deployment.clearinghouse.address)
    keeper = Keeper(
        deployment=deployment, key=key, state=state, policy=PROTOCOL_KEEPER, report=actions.append
    )
    rpc(crowd.deployment.chain, "evm_setAutomine", False)
    keeper_pass(keeper, deployment.chain.w3.eth.block_number)
    stuck = {s.tx_hash: s for s in pending_submissions(state, key.address)}
    assert len(stuck) == len(condemned)

    spike = 100 * max(s.fees.max_fee for s in stuck.values())
    block = mine_with_base_fee(crowd, spike)
    assert liquidated_since(crowd, first) == Counter()
    track(keeper, block)
    replaced = of(actions, "replaced")
    assert {action["tx"] for action in replaced} == set(stuck)
    asked = deployment.chain.fees(keeper.policy.priority_fee)
    for action in replaced:
        old = stuck[action["tx"]]
        assert action["kind"] == "liquidation" and action["nonce"] == old.nonce
        assert action["max_fee"] >= max(old.fees.max_fee * 9 / 8, asked.max_fee)
        assert action["priority_fee"] >= old.fees.priority_fee * 9 / 8
    track(keeper, mine_with_base_fee(crowd))
    assert not pending_submissions(state, key.address)
    assert liquidated_once(crowd, first, condemned)
    landed = {action["tx"] for action in of(actions, "liquidated")}
    assert landed == {action["replacement"] for action in replaced}
    statuses = dict(state.connection.execute("SELECT tx_hash, status FROM submissions"))
    assert {statuses[tx] for tx in stuck} == {SubmissionStatus.REPLACED}
    assert {statuses[tx] for tx in landed} == {SubmissionStatus.MINED}


def test_a_liquidation_left_unmined_for_replace_after_blocks_is_replaced(
    crowd: Crowd, tmp_path: Path
) -> None:
    """The block gas limit drops below the keeper's transactions, so blocks pass without
    them while the node keeps them: after ``replace_after`` blocks (not before) the keeper
    replaces each with higher fees, and once blocks fit them again the replacements land."""
    condemned, first = liquidatable_after_crash(crowd)
    deployment, key = crowd.deployment, crowd.keepers[0]
    actions: list[dict[str, Any]] = []
    state = open_state(tmp_path / "keeper.sqlite", deployment.clearinghouse.address)
    policy = KeeperPolicy(min_profit=None, replace_after=2)
    keeper = Keeper(
        deployment=deployment, key=key, state=state, policy=policy, report=actions.append
    )
    gas_limit = deployment.chain.w3.eth.get_block("latest")["gasLimit"]
    rpc(crowd.deployment.chain, "evm_setAutomine", False)
    keeper_pass(keeper, deployment.chain.w3.eth.block_number)
    waiting = {s.tx_hash: s for s in pending_submissions(state, key.address)}
    assert len(waiting) == len(condemned)
    try:
        rpc(
            crowd.deployment.chain,
            "evm_setBlockGasLimit",
            hex(min(s.gas for s in waiting.values()) - 1),
        )
        track(keeper, mine_with_base_fee(crowd))
        assert not of(actions, "replaced") and not of(actions, "rebroadcast")
        block = mine_with_base_fee(crowd)
    finally:
        rpc(crowd.deployment.chain, "evm_setBlockGasLimit", hex(gas_limit))
    assert liquidated_since(crowd, first) == Counter()
    track(keeper, block)
    replaced = of(actions, "replaced")
    assert {action["tx"] for action in replaced} == set(waiting)
    for action in replaced:
        old = waiting[action["tx"]].fees
        assert action["kind"] == "liquidation"
        assert action["max_fee"] >= old.max_fee * 9 / 8
        assert action["priority_fee"] >= old.priority_fee * 9 / 8
    track(keeper, mine_with_base_fee(crowd))
    assert {action["tx"] for action in of(actions, "liquidated")} == {
        action["replacement"] for action in replaced
    }
    assert liquidated_once(crowd, first, condemned)


def test_a_liquidation_the_node_forgot_is_broadcast_again(crowd: Crowd, tmp_path: Path) -> None:
    condemned, first = liquidatable_after_crash(crowd)
    deployment, key = crowd.deployment, crowd.keepers[0]
    actions: list[dict[str, Any]] = []
    state = open_state(tmp_path / "keeper.sqlite", deployment.clearinghouse.address)
    keeper = Keeper(
        deployment=deployment, key=key, state=state, policy=PROTOCOL_KEEPER, report=actions.append
    )
    rpc(crowd.deployment.chain, "evm_setAutomine", False)
    keeper_pass(keeper, deployment.chain.w3.eth.block_number)
    signed = {s.tx_hash for s in pending_submissions(state, key.address)}
    rpc(crowd.deployment.chain, "anvil_dropAllTransactions")
    track(keeper, deployment.chain.w3.eth.block_number)
    assert {action["tx"] for action in of(actions, "rebroadcast")} == signed
    track(keeper, mine_with_base_fee(crowd))
    assert {action["tx"] for action in of(actions, "liquidated")} == signed
    assert liquidated_once(crowd, first, condemned)


def test_a_stuck_liquidation_that_lost_the_race_is_cancelled_not_mined_to_fail(
    crowd: Crowd, tmp_path: Path
) -> None:
    """Keeper A's liquidations wait at a low fee while keeper B's, priced for the spike,
    land first: A replaces its own with cancellations, and none of its transactions fail."""
    condemned, first = liquidatable_after_crash(crowd)
    deployment = crowd.deployment
    slow_key, fast_key = crowd.keepers[:2]
    slow_actions: list[dict[str, Any]] = []
    slow = Keeper(
        deployment=deployment,
        key=slow_key,
        state=open_state(tmp_path / "slow.sqlite", deployment.clearinghouse.address),
        policy=KeeperPolicy(min_profit=None, replace_after=3),
        report=slow_actions.append,
    )
    fast = Keeper(
        deployment=deployment,
        key=fast_key,
        state=open_state(tmp_path / "fast.sqlite", deployment.clearinghouse.address),
        policy=PROTOCOL_KEEPER,
    )
    rpc(crowd.deployment.chain, "evm_setAutomine", False)
    keeper_pass(slow, deployment.chain.w3.eth.block_number)
    spike = 100 * max(s.fees.max_fee for s in pending_submissions(slow.state, slow_key.address))
    keeper_pass(fast, mine_with_base_fee(crowd, spike))
    track(fast, mine_with_base_fee(crowd))
    assert liquidated_once(crowd, first, condemned)
    track(slow, mine_with_base_fee(crowd))
    assert {action["kind"] for action in of(slow_actions, "replaced")} == {"cancellation"}
    track(slow, mine_with_base_fee(crowd))
    assert len(of(slow_actions, "cancelled")) == len(condemned)
    assert not pending_submissions(slow.state, slow_key.address)
    assert all_succeeded_with_gapless_nonces(crowd, slow_key.address, first, len(condemned))
    assert liquidated_once(crowd, first, condemned)


def test_an_unprofitable_liquidation_is_not_sent(crowd: Crowd) -> None:
    condemned, _ = liquidatable_after_crash(crowd)
    actions: list[dict[str, Any]] = []
    min_profit = 10**6 * WAD
    demanding = KeeperPolicy(min_profit=min_profit)
    done = run_once(crowd.deployment, crowd.keepers[0], policy=demanding, report=actions.append)
    assert done.liquidations == []
    unprofitable = of(actions, "unprofitable")
    assert {action["account"] for action in unprofitable} == condemned
    for action in unprofitable:
        assert int(action["reward"]) - int(action["gas_cost"]) <= min_profit
        assert int(action["gas_cost"]) > 0


def test_a_failing_node_is_retried_with_backoff(
    crowd: Crowd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    condemned, _ = liquidatable_after_crash(crowd)
    real_pass = keeper_service.keeper_pass
    failures = iter([RequestsConnectionError("connection refused")] * 3)

    def flaky_pass(keeper: Keeper, block: int) -> Any:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return real_pass(keeper, block)

    monkeypatch.setattr(keeper_service, "keeper_pass", flaky_pass)
    actions, done = retrying_pass(crowd, tmp_path, monkeypatch)
    assert [action["delay"] for action in of(actions, "retry")] == [0.01, 0.02, 0.04]
    assert {liquidation.account for liquidation in done.liquidations} == condemned


def test_a_node_error_inside_a_read_batch_is_retried(
    crowd: Crowd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The node fails one call of the screen's first batch: the pass raises RpcError with
    the node's message, and the keeper retries it after its backoff."""
    condemned, _ = liquidatable_after_crash(crowd)
    provider = crowd.deployment.chain.w3.provider
    assert isinstance(provider, HTTPProvider)
    send = provider.make_batch_request
    failures = iter([RPCError(code=-32603, message="internal error")])

    def failing_once(
        requests: list[tuple[RPCEndpoint, Any]],
    ) -> list[RPCResponse] | RPCResponse:
        responses = send(requests)
        assert isinstance(responses, list)
        failure = next(failures, None) if requests[-1][0] == "eth_call" else None
        if failure is not None:
            responses[-1] = {"jsonrpc": "2.0", "id": responses[-1]["id"], "error": failure}
        return responses

    monkeypatch.setattr(provider, "make_batch_request", failing_once)
    actions, done = retrying_pass(crowd, tmp_path, monkeypatch)
    assert [action["error"] for action in of(actions, "retry")] == [
        "RpcError: eth_call failed: {'code': -32603, 'message': 'internal error'}"
    ]
    assert {liquidation.account for liquidation in done.liquidations} == condemned


def test_keeper_run_names_a_bad_key_and_a_foreign_state_file(
    crowd_node: tuple[AnvilNode, Crowd], crowd: Crowd, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    node, _ = crowd_node
    address = crowd.deployment.clearinghouse.address
    arguments = ["keeper", "run", "--rpc-url", node.rpc_url, "--clearinghouse", address, "--once"]
    assert main([*arguments, "--key", "0x1234", "--state", str(tmp_path / "k.sqlite")]) == 1
    assert capsys.readouterr().err.strip() == (
        "vmargin: --key is not a private key (32 bytes, 0x-hex)"
    )
    foreign = tmp_path / "foreign.sqlite"
    open_state(foreign, "0x" + "11" * 20).connection.close()
    key = "0x" + crowd.keepers[0].key.hex()
    assert main([*arguments, "--key", key, "--state", str(foreign)]) == 1
    assert capsys.readouterr().err.strip() == (
        f"vmargin: {foreign} is the state of the keeper of 0x{'11' * 20}"
    )
    own = ["--key", key, "--state", str(tmp_path / "own.sqlite")]
    assert main([*arguments, *own, "--workers", "0"]) == 1
    assert capsys.readouterr().err.strip() == "vmargin: --workers must be at least 1, got 0"


def test_a_reorg_that_drops_mined_liquidations_gets_them_mined_again(
    crowd: Crowd, tmp_path: Path
) -> None:
    """A keeper pass liquidates and sees the receipts; then a reorg (Anvil's snapshot and
    revert) takes the blocks, and the transactions with them, away. The next pass finds its
    mined liquidations gone, broadcasts the signed transactions again, and every condemned
    account ends liquidated exactly once on the new chain, with gapless nonces."""
    condemned, first = liquidatable_after_crash(crowd)
    deployment, key = crowd.deployment, crowd.keepers[0]
    actions: list[dict[str, Any]] = []
    state = open_state(tmp_path / "keeper.sqlite", deployment.clearinghouse.address)
    keeper = Keeper(
        deployment=deployment, key=key, state=state, policy=PROTOCOL_KEEPER, report=actions.append
    )
    before = rpc(crowd.deployment.chain, "evm_snapshot")
    done = run_keeper(keeper, once=True, poll_interval=0.01)
    assert {liquidation.account for liquidation in done.liquidations} == condemned
    rpc(crowd.deployment.chain, "evm_revert", before)
    assert liquidated_since(crowd, first) == Counter()
    again = run_keeper(keeper, once=True, poll_interval=0.01)
    assert {liquidation.account for liquidation in again.liquidations} == condemned
    assert liquidated_once(crowd, first, condemned)
    assert all_succeeded_with_gapless_nonces(crowd, key.address, first, len(condemned))
    assert len(of(actions, "reorged")) == len(condemned)


def test_a_second_crash_that_sinks_the_backstop_does_not_stop_the_keeper(crowd: Crowd) -> None:
    """Issue 19, attack 4: after a first crash the backstop takes over the liquidated longs;
    a second crash makes it the most underwater account. ``liquidate`` refuses the backstop
    (``BackstopNotLiquidatable``), so the keeper must never screen it, and every trader the
    second crash condemns is still liquidated in the same pass."""
    deployment = crowd.deployment
    backstop = deployment.backstop
    liquidatable_after_crash(crowd)
    run_once(deployment, crowd.keepers[0], policy=PROTOCOL_KEEPER, report=lambda _: None)
    second = push_price(
        deployment.chain,
        crowd.owner,
        deployment.aggregators[0],
        (crowd.open_price * CRASH * Decimal("0.3")).quantize(Decimal("0.00000001")),
    )["blockNumber"]
    screened = screen(deployment, second)
    scenarios, risks = screened.scenarios, screened.risks
    mm_factor = deployment.chain.call(deployment.clearinghouse.functions.maintenanceMarginFactor())
    held = read_account(deployment, backstop, second)
    sunk = assess(held, read_marks(deployment, held, second), scenarios, mm_factor=mm_factor)
    assert sunk.liquidatable, "the second crash must sink the backstop for this test to bite"
    condemned = {risk.account.address for risk in risks if risk.liquidatable}
    assert len(condemned) >= 4
    actions: list[dict[str, Any]] = []
    done = run_once(deployment, crowd.keepers[0], policy=PROTOCOL_KEEPER, report=actions.append)
    assert backstop not in {risk.account.address for risk in done.risks}
    assert {liquidation.account for liquidation in done.liquidations} == condemned
    assert not of(actions, "skipped")


def test_a_refused_liquidation_is_named_by_its_error_and_the_backstop_is_not_liquidatable(
    crowd_node: tuple[AnvilNode, Crowd], crowd: Crowd, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 19, attack 4: a simulation's revert is decoded from eth_simulateV1's returnData
    (Anvil's error message alone is "execution failed"), and ``vmargin margin`` of the
    backstop never says it is liquidatable."""
    deployment = crowd.deployment
    backstop = deployment.backstop
    data = deployment.clearinghouse.encode_abi("liquidate", [backstop, (1, [], [], [], []), WAD])
    keeper, clearinghouse = crowd.keepers[0].address, deployment.clearinghouse.address
    simulation = deployment.chain.simulate(keeper, clearinghouse, data)
    assert simulation.reverted is not None
    assert simulation.reverted.error == "Clearinghouse.BackstopNotLiquidatable"
    node, _ = crowd_node
    arguments = ["margin", "--rpc-url", node.rpc_url, "--clearinghouse", clearinghouse]
    assert main([*arguments, "--json", backstop]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["backstop"] is True and report["liquidatable"] is False


def test_an_account_whose_marks_do_not_read_is_skipped_by_name_not_a_failed_pass(
    crowd: Crowd,
) -> None:
    """Issue 19, attack 4: with the ETH feed stale every account's marks are refused; the
    pass names each account it skipped and why, and returns instead of failing (a pass
    used to raise the first refusal, so no account behind it was screened)."""
    deployment = crowd.deployment
    chain = deployment.chain
    now = chain.w3.eth.get_block("latest")["timestamp"]
    answer = chain.call(deployment.aggregators[0].functions.latestRoundData())[1]
    push_answer(chain, crowd.owner, deployment.aggregators[0], answer, now - 2 * 3600)
    state = open_state(":memory:", deployment.clearinghouse.address, deployment.start_block)
    actions: list[dict[str, Any]] = []
    keeper = Keeper(
        deployment=deployment,
        key=crowd.keepers[0],
        state=state,
        policy=PROTOCOL_KEEPER,
        report=actions.append,
    )
    done = keeper_pass(keeper, chain.w3.eth.block_number)
    assert done.risks == [] and done.liquidations == []
    skipped = of(actions, "skipped")
    holders = {trader.address for trader in crowd.traders}
    assert holders <= {action["account"] for action in skipped}
    assert all("OracleAdapter.StalePrice" in action["reason"] for action in skipped)
