"""Auditor replay: every demo liquidation recomputed from the chain alone, to the wei, a
tampered input named, and a faulty node retried or named (``tests/faulty_rpc.py``)."""

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from support.faulty_rpc import BAD_GATEWAY, DROP, GARBLED, TIMEOUT, FaultyRpc
from vmargin.audit.replay import ReplayError, read_replay_inputs, replay, replay_liquidation
from vmargin.chain.anvil import AnvilNode
from vmargin.chain.client import Chain
from vmargin.chain.deployment import attach
from vmargin.cli.demo import DemoResult
from vmargin.cli.main import main


def test_every_demo_liquidation_replays_to_the_wei(demo: DemoResult) -> None:
    deployment = attach(demo.deployment.chain, demo.deployment.clearinghouse.address)
    assert deployment.assets == ("ETH",)
    liquidations = demo.keeper_pass.liquidations
    assert len(liquidations) == 2
    for liquidation in liquidations:
        report = replay_liquidation(deployment, liquidation.tx_hash)
        assert report.matches, report.mismatches
        assert report.account == liquidation.account
        assert report.witnesses == liquidation.certificate.indices
        assert len(report.losses) == 1000
        # The certificate of the k worst scenarios proves ES: bound and exact ES differ by
        # the two roundings only.
        bound = next(c.recomputed for c in report.checks if c.name == "ES lower bound")
        assert 0 <= report.expected_shortfall - bound <= 1
        assert report.value_at_risk <= report.expected_shortfall


def test_a_changed_scenario_leaf_is_named(demo: DemoResult) -> None:
    deployment = attach(demo.deployment.chain, demo.deployment.clearinghouse.address)
    onchain, inputs = read_replay_inputs(deployment, demo.keeper_pass.liquidations[0].tx_hash)
    witness = onchain["call"]["certificate"]["indices"][0]
    returns = list(inputs.scenarios.spot_returns)
    returns[witness] = (returns[witness][0] + 1,)
    tampered = replace(inputs, scenarios=replace(inputs.scenarios, spot_returns=tuple(returns)))
    report = replay(onchain, tampered)
    assert f"scenario {witness} is the committed leaf" in report.mismatches


def test_a_wrong_oracle_answer_is_named(demo: DemoResult) -> None:
    deployment = attach(demo.deployment.chain, demo.deployment.clearinghouse.address)
    onchain, inputs = read_replay_inputs(deployment, demo.keeper_pass.liquidations[0].tx_hash)
    marks = replace(inputs.marks, spot=[inputs.marks.spot[0] + 10**18])
    report = replay(onchain, replace(inputs, marks=marks))
    assert "equity" in report.mismatches
    assert "ES lower bound" in report.mismatches


def test_a_transaction_that_is_not_a_liquidation_is_refused(demo: DemoResult) -> None:
    deployment = attach(demo.deployment.chain, demo.deployment.clearinghouse.address)
    chain = deployment.chain
    first = chain.w3.eth.get_block(demo.deployment.start_block + 1, full_transactions=True)
    transaction = first["transactions"][0]
    assert not isinstance(transaction, bytes)  # a whole transaction, not its hash
    tx_hash = transaction["hash"].to_0x_hex()
    with pytest.raises(ReplayError, match="is not a liquidation"):
        replay_liquidation(deployment, tx_hash)


def test_replay_and_audit_commands_write_reports_and_exit_zero(
    demo: DemoResult, anvil: AnvilNode, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chain_arguments = [
        "--rpc-url",
        anvil.rpc_url,
        "--clearinghouse",
        demo.deployment.clearinghouse.address,
    ]
    tx_hash = demo.keeper_pass.liquidations[1].tx_hash
    assert main(["replay", tx_hash, *chain_arguments, "--out", str(tmp_path)]) == 0
    document = json.loads((tmp_path / f"{tx_hash}.json").read_text())
    assert (
        document["matches"] is True
        and document["account"] == demo.keeper_pass.liquidations[1].account
    )
    assert "every number matches to the wei" in (tmp_path / f"{tx_hash}.md").read_text()
    assert (tmp_path / f"{tx_hash}.png").read_bytes()[:4] == b"\x89PNG"
    capsys.readouterr()
    assert main(["audit", *chain_arguments]) == 0
    output = capsys.readouterr().out
    assert output.count("matches to the wei") == 2


def test_margin_command_reports_a_live_account_as_the_keeper_saw_it(
    demo: DemoResult, anvil: AnvilNode, capsys: pytest.CaptureFixture[str]
) -> None:
    """The 1x long is healthy after the crash. Its JSON report carries the contract's equity
    to the wei (lower than at the keeper's screening: the 5x long's bad debt was socialized
    over ETH's open interest since) and the keeper's ES (its position did not change)."""
    (risk,) = [
        r for r in demo.keeper_pass.risks if demo.labels.get(r.account.address) == "long 10 ETH, 1x"
    ]
    arguments = ["--rpc-url", anvil.rpc_url, "--clearinghouse"]
    arguments.append(demo.deployment.clearinghouse.address)
    capsys.readouterr()
    assert main(["margin", risk.account.address, *arguments, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    clearinghouse = demo.deployment.clearinghouse
    assert int(report["equity"]) == clearinghouse.functions.equity(risk.account.address).call()
    assert int(report["equity"]) < risk.equity
    assert int(report["expected_shortfall"]) == risk.expected_shortfall
    assert report["liquidatable"] is False and Decimal(report["health"]) > 1
    assert int(report["initial_margin"]) >= int(report["expected_shortfall"])
    assert len(report["worst_scenarios"]) == 5
    assert main(["margin", risk.account.address, *arguments]) == 0
    assert "certified maintenance margin" in capsys.readouterr().out


def test_a_replay_through_a_faulty_node_retries_or_names_the_failure(
    demo: DemoResult, anvil: AnvilNode, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through a proxy that drops connections, answers HTTP 502 and holds answers past the
    client's 1 s timeout, each failed read is sent again and the replay is, field for
    field, the one a healthy node gives. A garbled answer fails it: ``vmargin replay`` exits
    1 with one line naming the failure and writes no report, never a verdict."""
    tx_hash = demo.keeper_pass.liquidations[0].tx_hash
    address = demo.deployment.clearinghouse.address
    healthy = replay_liquidation(attach(demo.deployment.chain, address), tx_hash)
    with FaultyRpc(anvil.rpc_url, delay=2.0) as proxy:
        deployment = attach(Chain.connect(proxy.url, timeout=1.0), address)
        proxy.fail(DROP, "eth_getTransactionReceipt")
        proxy.fail(BAD_GATEWAY, "eth_getLogs", times=2)
        proxy.fail(TIMEOUT, "eth_call")
        proxy.fail(DROP, "eth_getBlockByNumber")
        assert replay_liquidation(deployment, tx_hash) == healthy
        assert proxy.pending() == 0

        proxy.fail(GARBLED, "eth_getLogs")
        capsys.readouterr()
        command = ["replay", tx_hash, "--rpc-url", proxy.url, "--clearinghouse", address]
        assert main([*command, "--out", str(tmp_path / "reports")]) == 1
    error = capsys.readouterr().err
    assert error.startswith("vmargin: the node failed: JSONDecodeError: Could not decode '<html>")
    assert error.count("\n") == 1
    assert not (tmp_path / "reports").exists()
