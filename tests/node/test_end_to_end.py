"""The whole loop on a real Anvil node: the demo's liquidations, checked from the chain.

Every check here reads the chain itself (events, views at the screening block)
and recomputes in Python from scratch, independently of what the keeper decided.
"""

import math
import random
import subprocess
import sys
from fractions import Fraction

import pytest

from support.project import PROJECT_ROOT
from vmargin.chain.client import TransactionReverted
from vmargin.chain.reads import read_account, read_marks
from vmargin.cli.demo import DemoResult
from vmargin.keeper.screen import known_accounts
from vmargin.numerics.expected_shortfall import (
    BPS,
    expected_shortfall,
    tail_weight,
    weighted_lower_bound,
    worst_scenarios,
)
from vmargin.numerics.fixedpoint import (
    INT256_MAX,
    INT256_MIN,
    WAD,
    FixedPointOverflow,
    Rounding,
    mul_wad,
)
from vmargin.numerics.portfolio import Account, Marks, equity, scenario_loss, scenario_losses
from vmargin.proofs.certificate import liquidation_certificate


def accounts_at(demo: DemoResult, block: int) -> list[tuple[Account, Marks]]:
    """Every account the chain knows at ``block``, with the marks of what it holds."""
    deployment = demo.deployment
    result = []
    for address in known_accounts(deployment, block):
        account = read_account(deployment, address, block)
        result.append((account, read_marks(deployment, account, block)))
    return result


def exact_es(losses: list[int], alpha_bps: int) -> Fraction:
    """Acerbi-Tasche ES as an exact fraction, from its definition."""
    tail = tail_weight(len(losses), alpha_bps)
    worst = sorted(losses, reverse=True)
    weighted = BPS * sum(worst[: tail.whole]) + (tail.frac * worst[tail.whole] if tail.frac else 0)
    return Fraction(weighted, tail.k_num)


def certified_mm(mm_factor: int, es: Fraction) -> int:
    """What the best certificate proves: floor(mm_factor * max(floor(ES), 0) / WAD)."""
    return math.floor(Fraction(mm_factor * max(math.floor(es), 0), WAD))


def test_demo_liquidates_some_accounts_and_leaves_others(demo: DemoResult) -> None:
    risks = demo.keeper_pass.risks
    assert demo.keeper_pass.liquidations
    assert any(not risk.liquidatable and risk.account.positions for risk in risks)


def test_the_chain_holds_the_posted_scenario_set(demo: DemoResult) -> None:
    assert demo.keeper_pass.scenarios.spot_returns == demo.scenario_set.spot_returns
    assert demo.keeper_pass.scenarios.tail.witness_count == 25


def test_liquidated_accounts_are_exactly_those_exact_es_condemns(demo: DemoResult) -> None:
    block = demo.keeper_pass.block
    clearinghouse = demo.deployment.clearinghouse
    mm_factor = clearinghouse.functions.maintenanceMarginFactor().call(block_identifier=block)
    condemned = set()
    for account, marks in accounts_at(demo, block):
        losses = scenario_losses(
            account, marks, demo.scenario_set.spot_returns, demo.scenario_set.vol_shifts
        )
        es = exact_es(losses, demo.scenario_set.alpha_bps)
        assert expected_shortfall(losses, demo.scenario_set.alpha_bps) == math.ceil(es)
        if certified_mm(mm_factor, es) > equity(account, marks):
            condemned.add(account.address)
    events = clearinghouse.events.Liquidated().get_logs(from_block=block)
    assert {event["args"]["account"] for event in events} == condemned


def test_liquidation_events_carry_the_python_numbers_to_the_wei(demo: DemoResult) -> None:
    """Each liquidation against the state of the block before it (the insolvent account
    goes first and its socialized loss moves the next one's equity)."""
    block = demo.keeper_pass.block
    clearinghouse = demo.deployment.clearinghouse
    mm_factor = clearinghouse.functions.maintenanceMarginFactor().call(block_identifier=block)
    events = clearinghouse.events.Liquidated().get_logs(from_block=block)
    assert len({event["blockNumber"] for event in events}) == len(events) >= 2
    for event in events:
        before = accounts_at(demo, event["blockNumber"] - 1)
        account, marks = next(
            (account, marks)
            for account, marks in before
            if account.address == event["args"]["account"]
        )
        losses = scenario_losses(
            account, marks, demo.scenario_set.spot_returns, demo.scenario_set.vol_shifts
        )
        es = exact_es(losses, demo.scenario_set.alpha_bps)
        assert event["args"]["equity"] == equity(account, marks)
        assert event["args"]["expectedShortfallLowerBound"] == math.floor(es)
        assert event["args"]["maintenanceMargin"] == certified_mm(mm_factor, es)


def test_onchain_scenario_losses_equal_python_to_the_wei(demo: DemoResult) -> None:
    """Every account with positions, under all N scenarios, at the screening block."""
    block = demo.keeper_pass.block
    chain, clearinghouse = demo.deployment.chain, demo.deployment.clearinghouse
    returns, shifts = demo.scenario_set.spot_returns, demo.scenario_set.vol_shifts
    compared = 0
    for account, marks in accounts_at(demo, block):
        if not account.positions:
            continue
        onchain = chain.call_batch(
            clearinghouse,
            "scenarioLoss",
            [(account.address, list(r), list(v)) for r, v in zip(returns, shifts, strict=True)],
            block,
        )
        assert onchain == scenario_losses(account, marks, returns, shifts)
        compared += len(onchain)
    assert compared >= 5 * demo.scenario_set.n


def test_onchain_losses_equal_python_on_edge_and_random_returns(demo: DemoResult) -> None:
    """Returns far outside history, both signs, and the int256 edges where both overflow."""
    block = demo.keeper_pass.block
    chain, clearinghouse = demo.deployment.chain, demo.deployment.clearinghouse
    rng = random.Random(20261121)
    edges = [0, 1, -1, WAD, -WAD, 10 * WAD, -(WAD - 1), 7, -7, 10**40, -(10**40)]
    returns = edges + [rng.randint(-(10**20), 10**20) for _ in range(2000)]
    for account, marks in accounts_at(demo, block):
        if not account.positions:
            continue
        onchain = chain.call_batch(
            clearinghouse, "scenarioLoss", [(account.address, [r], [0]) for r in returns], block
        )
        assert onchain == [scenario_loss(account, marks, [r], [0]) for r in returns]
        for r in (INT256_MAX, INT256_MIN, 10**60):
            with pytest.raises(FixedPointOverflow):
                scenario_loss(account, marks, [r], [0])
            with pytest.raises(TransactionReverted, match=r"MulDivOverflow|Panic\(code=17\)"):
                chain.call(clearinghouse.functions.scenarioLoss(account.address, [r], [0]), block)


def test_a_healthy_account_is_refused_with_its_numbers(demo: DemoResult) -> None:
    deployment = demo.deployment
    scenarios = demo.keeper_pass.scenarios
    block = deployment.chain.w3.eth.block_number
    mm_factor = deployment.clearinghouse.functions.maintenanceMarginFactor().call()
    refused = 0
    for account, marks in accounts_at(demo, block):
        if (
            not account.positions
            or account.address == deployment.clearinghouse.functions.backstop().call()
        ):
            continue
        losses = scenario_losses(account, marks, scenarios.spot_returns, scenarios.vol_shifts)
        certificate = liquidation_certificate(
            scenarios.epoch, scenarios.tree, losses, scenarios.tail
        )
        witnesses = worst_scenarios(losses, scenarios.tail.witness_count)
        bound = weighted_lower_bound([losses[i] for i in witnesses], scenarios.tail)
        with pytest.raises(TransactionReverted) as refusal:
            deployment.chain.call(
                deployment.clearinghouse.functions.liquidate(
                    account.address, certificate.as_abi(), WAD
                )
            )
        assert refusal.value.error == "Clearinghouse.AccountHealthy"
        assert refusal.value.arguments["equity"] == equity(account, marks)
        assert refusal.value.arguments["maintenanceMargin"] == mul_wad(
            mm_factor, max(bound, 0), Rounding.FLOOR
        )
        refused += 1
    assert refused >= 3


def test_vmargin_demo_command_exits_zero_with_its_table() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "vmargin.cli.main", "demo"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "liquidated" in result.stdout
    assert "healthy" in result.stdout
    assert "k = 25" in result.stdout
