"""Fuzzing the files and options users feed (hypothesis): every malformed input gets the
parser's own named error, never another exception.

Targets: price CSVs (``read_price_csv``: ``PriceDataError``), scenario files
(``read_scenario_file``: ``ScenarioFileError``), decimal and key options
(``decimal_option``, ``read_key``: ``ServiceInputError``) and the batch engines' matrices
(``exact_tail_risk``: ``ValueError`` naming the argument). Inputs are both arbitrary and
near-valid: a valid file with one field replaced. ``EXAMPLES`` examples per target
(``tests/support/fuzzing.py``); the seed is fixed so a failure reproduces."""

import argparse
import contextlib
import json
import string
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from eth_account.signers.local import LocalAccount
from hypothesis import given, seed
from hypothesis import strategies as st

from support.fuzzing import FUZZ, JSON, replaced, written
from vmargin.chain.anvil import AnvilNode
from vmargin.chain.client import (
    Call,
    Chain,
    anvil_accounts,
)
from vmargin.chain.deployment import Deployment, RiskParameters, deploy_vmargin, mint_and_deposit
from vmargin.chain.scenario_registry import PublishedScenarioSet, post_scenario_set
from vmargin.cli.arguments import (
    ServiceInputError,
    block_option,
    decimal_option,
    port_number,
    read_key,
    seconds,
    whole_number,
)
from vmargin.numerics.fixedpoint import WAD
from vmargin.oracle.feeds import push_price
from vmargin.oracle.prices import PriceDataError, read_price_csv
from vmargin.oracle.scenario_file import (
    ScenarioFileError,
    quantize_scenarios,
    read_scenario_file,
    scenario_file_json,
)
from vmargin.proofs.certificate import NO_MARGIN_CERTIFICATE
from vmargin.proofs.scenario_commitment import scenario_tree
from vmargin.risk.batch_expected_shortfall import exact_tail_risk

VALID_SET = json.loads(
    scenario_file_json(
        quantize_scenarios(
            ("ETH", "BTC"),
            np.array([[0.1, -0.2], [-0.05, 0.03], [0.2, 0.1], [-0.4, -0.3]]),
            np.zeros((4, 2)),
            np.array([False, False, False, True]),
            7500,
            "historical",
            {"window": 4, "horizon": 1},
            "fuzz base",
        )
    )
)


@seed(8)
@FUZZ
@given(document=JSON)
def test_any_json_document_is_refused_by_name(document: Any) -> None:
    path = written(json.dumps(document), ".json")
    with contextlib.suppress(ScenarioFileError):
        read_scenario_file(path)


@seed(9)
@FUZZ
@given(
    key=st.sampled_from([*VALID_SET, "scenarios.0", "scenarios.3", "scenarios.0.spot_returns"]),
    value=JSON,
)
def test_a_valid_scenario_file_with_one_field_replaced_is_refused_by_name(
    key: str, value: Any
) -> None:
    path = tuple(int(part) if part.isdigit() else part for part in key.split("."))
    with contextlib.suppress(ScenarioFileError):
        read_scenario_file(written(json.dumps(replaced(VALID_SET, path, value)), ".json"))


@seed(10)
@FUZZ
@given(text=st.text(max_size=300))
def test_any_text_as_a_price_csv_is_refused_by_name(text: str) -> None:
    with contextlib.suppress(PriceDataError):
        read_price_csv(written(text, ".csv"))


CELL = st.text(alphabet=string.printable, max_size=12) | st.sampled_from(
    ["", "nan", "inf", "-1", "0", "1e400", "2024-02-30", "0x10", "1_000", " 5 ", "١٢"]
)


@seed(11)
@FUZZ
@given(row=st.integers(0, 3), column=st.integers(0, 2), cell=CELL)
def test_a_valid_price_csv_with_one_cell_replaced_is_read_or_refused_by_name(
    row: int, column: int, cell: str
) -> None:
    rows = [
        ["date", "asset", "close"],
        ["2024-01-01", "ETH", "2300.5"],
        ["2024-01-02", "ETH", "2310"],
        ["2024-01-03", "ETH", "2290.25"],
    ]
    rows[row][column] = cell
    text = "\n".join(",".join(f'"{c}"' if "," in c or '"' in c else c for c in r) for r in rows)
    with contextlib.suppress(PriceDataError):
        read_price_csv(written(text, ".csv"))


@seed(12)
@FUZZ
@given(text=st.text(max_size=40))
def test_any_text_as_a_decimal_option_is_a_decimal_or_refused_by_name(text: str) -> None:
    try:
        value = decimal_option("--min-profit", text)
    except ServiceInputError as error:
        assert str(error).startswith("--min-profit: ")
    else:
        assert isinstance(value, Decimal) and value.is_finite()


@seed(13)
@FUZZ
@given(text=st.text(max_size=80) | st.text(alphabet="0123456789abcdefABCDEFx", max_size=70))
def test_any_text_as_a_key_is_a_key_or_refused_by_name(text: str) -> None:
    with contextlib.suppress(ServiceInputError):
        read_key(argparse.Namespace(key=text, key_file=None))


INTEGERS = st.lists(
    st.lists(st.integers(-(2**130), 2**130), min_size=1, max_size=3), min_size=1, max_size=3
)
MATRIX = INTEGERS | st.lists(st.lists(JSON, max_size=3), max_size=3) | JSON


@seed(14)
@FUZZ
@given(sizes=MATRIX, unit_pnl=MATRIX, alpha=st.integers(-5, 20_000) | JSON)
def test_any_engine_input_is_computed_or_refused_by_name(
    sizes: Any, unit_pnl: Any, alpha: Any
) -> None:
    try:
        exact_tail_risk(sizes, unit_pnl, alpha)
    except ValueError as error:
        assert str(error)


# ------------------------------------------------ attestations and certificates from outside

ADDRESS = "0x" + "5a" * 20
SMALL_RETURNS = tuple(((i - 4) * WAD // 50, (3 - i) * WAD // 40) for i in range(8))
SMALL_SHIFTS = tuple((WAD // 100 * (i % 3), 0) for i in range(8))
SMALL_SET = PublishedScenarioSet(
    1, 7500, SMALL_RETURNS, SMALL_SHIFTS, scenario_tree(SMALL_RETURNS, SMALL_SHIFTS)
)


@dataclass(frozen=True)
class SmallMarket:
    """A deployment on the session's node with ``SMALL_SET`` posted, the ETH feed at 2,000
    USD (BTC's never answered) and one trader holding cash; ``calls`` are reads of it (the
    last one reverts), ``tx_hash`` its last transaction (a deposit) and ``simulations`` the
    node's answers to ``eth_simulateV1`` of an approval (which emits a log) and of a
    withdrawal (which reverts)."""

    deployment: Deployment
    trader: LocalAccount
    calls: tuple[Call, ...]
    tx_hash: str
    simulations: tuple[dict, ...]


@pytest.fixture(scope="module")
def small_market(anvil: AnvilNode) -> SmallMarket:
    chain = Chain.connect(anvil.rpc_url)
    owner, backstop, trader = anvil_accounts(3)
    deployment = deploy_vmargin(chain, owner, backstop.address, ("ETH", "BTC"), RiskParameters())
    push_price(chain, owner, deployment.aggregators[0], Decimal(2000))
    post_scenario_set(chain, owner, deployment.registry, SMALL_RETURNS, SMALL_SHIFTS, 7500)
    mint_and_deposit(deployment, owner, trader, 1000)
    oracle, clearinghouse = deployment.oracle, deployment.clearinghouse
    calls = (
        Call(oracle, "price", (0,)),
        Call(clearinghouse, "cash", (trader.address,)),
        Call(clearinghouse, "positionOf", (trader.address, 0)),
        Call(oracle, "price", (1,)),
    )
    block = chain.w3.eth.block_number
    tx_hash = chain.w3.eth.get_block(block)["transactions"][0].to_0x_hex()
    stablecoin = deployment.stablecoin
    approval = stablecoin.encode_abi("approve", [clearinghouse.address, 5])
    withdrawal = clearinghouse.encode_abi("withdraw", [10**12, NO_MARGIN_CERTIFICATE.as_abi()])
    simulations = tuple(
        chain.w3.provider.make_request(
            "eth_simulateV1",  # type: ignore[arg-type]
            [{"blockStateCalls": [{"calls": [{"from": trader.address, **call}]}]}, "latest"],
        )
        for call in (
            {"to": stablecoin.address, "data": approval},
            {"to": clearinghouse.address, "data": withdrawal},
        )
    )
    return SmallMarket(deployment, trader, calls, tx_hash, simulations)


def paths(document: Any) -> list[tuple[str | int, ...]]:
    """The path of every field and item in the JSON ``document``."""
    if isinstance(document, dict):
        items = list(document.items())
    elif isinstance(document, list):
        items = list(enumerate(document))
    else:
        return []
    return [(key, *tail) for key, value in items for tail in [(), *paths(value)]]


@dataclass(frozen=True)
class Argument:
    """A command-line value: ``good`` works with the other good ones, ``bad`` does not."""

    good: str
    bad: st.SearchStrategy[str]


def cli_arguments(market: SmallMarket, rpc_url: str, files: Path) -> dict[str, Argument]:
    """Every kind of value the commands take, each with a good value on ``market`` and bad
    ones (a missing file, a directory, an address without code, a negative block...)."""
    deployment = market.deployment
    scenario_file = files / "set.json"
    scenario_file.write_text(json.dumps(VALID_SET))
    key_file = files / "key"
    key_file.write_text(market.trader.key.to_0x_hex())
    bls_key_file = files / "bls.key"
    bls_key_file.write_text("123456789")
    closes = files / "closes.csv"
    closes.write_text(
        "date,asset,close\n"
        + "".join(f"2024-01-0{day},ETH,{2000 + 10 * day * (-1) ** day}\n" for day in range(1, 8))
    )
    garbage = files / "garbage"
    garbage.write_text("not what was expected\n")
    text = st.text(max_size=12)
    missing = str(files / "missing" / "file")
    inputs = st.sampled_from([missing, str(files), str(garbage), ""])
    outputs = st.sampled_from([missing, str(files), ""])
    address = text | st.sampled_from(["", "0x", "0x" + "11" * 19, ADDRESS[:-1] + "A"])
    contract = address | st.sampled_from(["0x" + "11" * 20, deployment.oracle.address])
    numbers = ["-1", str(2**64), "1e3", "0x10", "pending"]
    count = text.filter(refused_by(whole_number)) | st.sampled_from([*numbers, "latest"])
    block = text.filter(refused_by(block_option)) | st.sampled_from(numbers)
    amount = text.filter(refused_by(lambda value: decimal_option("--min-profit", value)))
    return {
        "--rpc-url": Argument(
            rpc_url, st.sampled_from(["not a url", "", "ftp://127.0.0.1", "http://[::1"])
        ),
        "--clearinghouse": Argument(deployment.clearinghouse.address.lower(), contract),
        "--registry": Argument(deployment.registry.address, contract),
        "account": Argument(market.trader.address, address),
        "tx": Argument(
            market.tx_hash,
            text | st.sampled_from(["0x" + "ab" * 32, "0x1234", "0x" + "zz" * 32, ADDRESS]),
        ),
        "--from-block": Argument("0", count),
        "--to-block": Argument("latest", block),
        "--start-block": Argument("0", count),
        "--epoch": Argument("1", count | st.sampled_from(["0", "99"])),
        "--worst": Argument("3", count),
        "--key": Argument(
            market.trader.key.to_0x_hex(),
            text | st.sampled_from(["0x1234", "0x" + "00" * 32, "0x" + "ff" * 32]),
        ),
        "--key-file": Argument(str(key_file), inputs),
        "--bls-key-file": Argument(str(bls_key_file), inputs),
        "file": Argument(str(scenario_file), inputs),
        "--csv": Argument(str(closes), inputs),
        "--window": Argument("3", st.sampled_from(["-1", "0", "999", "three", ""])),
        "--alpha-bps": Argument("7500", st.sampled_from(["10000", "-1", "99999999999", "7.5"])),
        "--output": Argument(str(files / "built.json"), outputs),
        "--state": Argument(":memory:", st.sampled_from([missing, str(files), str(garbage)])),
        "--min-profit": Argument("0", amount | st.sampled_from(["nan", "-inf", "1e999999999"])),
        "--replace-after": Argument("3", count),
        "--max-lifetime": Argument("600", count),
        "--poll-interval": Argument(
            "0.01", text.filter(refused_by(seconds)) | st.sampled_from(["0", "-1", "nan", "inf"])
        ),
        "--port": Argument(
            "0", text.filter(refused_by(port_number)) | st.sampled_from(["65536", "70000", "-1"])
        ),
    }


def refused_by(parse: Callable[[str], Any]) -> Callable[[str], bool]:
    """Whether ``parse`` refuses a text, as argparse's types and the options do."""

    def refused(text: str) -> bool:
        try:
            parse(text)
        except (ValueError, argparse.ArgumentTypeError):
            return True
        return False

    return refused


@pytest.fixture(scope="module")
def arguments(
    small_market: SmallMarket, anvil: AnvilNode, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Argument]:
    return cli_arguments(small_market, anvil.rpc_url, tmp_path_factory.mktemp("cli"))
