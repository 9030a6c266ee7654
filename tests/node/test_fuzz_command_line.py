"""Fuzzing ``vmargin`` itself (hypothesis): each command with bad values among good ones,
against a real node, is a usage error or one line ``vmargin: ...``, never a traceback."""

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, seed
from hypothesis import strategies as st

from support.fuzzing import FUZZ, VALID_SET, SmallMarket
from vmargin.chain.anvil import AnvilNode
from vmargin.cli.arguments import (
    block_option,
    decimal_option,
    port_number,
    seconds,
    whole_number,
)
from vmargin.cli.main import main

ADDRESS = "0x" + "5a" * 20


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
    key_file.write_text("0x" + market.trader.key.hex())
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
            "0x" + market.trader.key.hex(),
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


COMMANDS = {
    "margin": (["margin", "account", "--json"], ["--rpc-url", "--clearinghouse", "--worst"]),
    "replay": (["replay", "tx"], ["--rpc-url", "--clearinghouse"]),
    "audit": (["audit"], ["--rpc-url", "--clearinghouse", "--from-block", "--to-block"]),
    "fetch": (["scenarios", "fetch"], ["--epoch", "--rpc-url", "--registry", "--output"]),
    "post": (["scenarios", "post", "file"], ["--rpc-url", "--registry", "--key"]),
    "show": (["scenarios", "show", "file"], []),
    "build": (
        ["scenarios", "build", "--method", "historical"],
        ["--csv", "--window", "--alpha-bps", "--output"],
    ),
    "keeper": (
        ["keeper", "run", "--once"],
        [
            "--rpc-url",
            "--clearinghouse",
            "--key-file",
            "--state",
            "--start-block",
            "--min-profit",
            "--replace-after",
            "--poll-interval",
        ],
    ),
    "watch": (
        ["watch", "--once"],
        ["--rpc-url", "--clearinghouse", "--key", "--start-block", "--poll-interval"],
    ),
    "operator": (
        ["operator", "run"],
        ["--rpc-url", "--clearinghouse", "--bls-key-file", "--port", "--max-lifetime"],
    ),
}


@pytest.fixture(scope="module")
def arguments(
    small_market: SmallMarket, anvil: AnvilNode, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Argument]:
    return cli_arguments(small_market, anvil.rpc_url, tmp_path_factory.mktemp("cli"))


@seed(21)
@FUZZ
@given(command=st.sampled_from(sorted(COMMANDS)), data=st.data())
def test_any_bad_value_on_the_command_line_is_a_one_line_error(
    arguments: dict[str, Argument],
    command: str,
    data: st.DataObject,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``vmargin`` run with at least one bad value among good ones: exit code 2 with
    argparse's usage error, or 1 with one line ``vmargin: ...`` on stderr; never a
    traceback, nor a partial file left by a scenario file that could not be written."""
    words, options = COMMANDS[command]
    names = [word for word in words if word in arguments] + options
    bad = {name for name in names if data.draw(st.booleans(), label=f"{name} is bad")}
    bad = bad or {data.draw(st.sampled_from(names), label="the bad one")}
    value = {
        name: data.draw(arguments[name].bad, label=name) if name in bad else arguments[name].good
        for name in names
    }
    argv = [value.get(word, word) for word in words]
    argv += [f"{option}={value[option]}" for option in options]
    code: str | int | None
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    error = capsys.readouterr().err
    if code == 2:
        assert " error: " in error, (argv, error)
    else:
        assert code == 1 and error.startswith("vmargin: ") and error.count("\n") == 1, (argv, error)
    written = Path(arguments["--output"].good).parent
    assert not list(written.parent.glob("*.partial")) and not Path(".partial").exists()
