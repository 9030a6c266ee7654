"""``vmargin scenarios build | show | post | fetch``: scenario sets from the command line.

``build`` loads real closes (the shipped BTC, ETH, SP500, NASDAQ and WTI series, or a
user's CSV), runs one method of ``oracle/scenario_methods.py``, adds stress scenarios,
quantizes once and writes a scenario file (``oracle/scenario_file.py``). ``show`` prints
a summary (per asset: the worst and best return, and VaR and ES at alpha of one long unit
and one short unit) and draws a PNG of the shock distribution per asset. ``post`` commits
and publishes a file to a ScenarioRegistry, directly as its owner or, with ``--timelock``,
as one batch scheduled through its ParameterTimelock and executed after the delay
(``--execute``); ``fetch`` rebuilds a posted epoch from the
chain alone into a file, checked against the committed root.
"""

import argparse
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
from rich import box
from rich.console import Console
from rich.table import Table

from vmargin.chain.client import Chain
from vmargin.chain.deployment import contract_at
from vmargin.chain.governance import execute, schedule
from vmargin.chain.scenario_registry import post_scenario_set, read_scenario_set, scenario_set_calls
from vmargin.cli.arguments import (
    ServiceInputError,
    add_key_options,
    read_key,
    whole_number,
)
from vmargin.errors import InputError
from vmargin.numerics.expected_shortfall import expected_shortfall, tail_weight
from vmargin.numerics.fixedpoint import WAD
from vmargin.oracle.prices import PriceDataError, load_shipped, read_price_csv
from vmargin.oracle.scenario_file import (
    ScenarioFileError,
    quantize_scenarios,
    read_scenario_file,
    write_scenario_file,
)
from vmargin.oracle.scenario_methods import (
    RawScenarios,
    VolatilityModel,
    combine,
    filtered_historical,
    historical,
    monte_carlo,
    stress_scenarios,
)
from vmargin.oracle.scenarios import ScenarioSet
from vmargin.plotting import pyplot, save_figure

METHODS = ("historical", "filtered-historical", "monte-carlo")


class ScenarioInputError(InputError):
    """Inputs the chosen method cannot use (window longer than the data, a bad stress...)."""


def add_scenario_commands(commands: argparse._SubParsersAction) -> None:
    """Register ``vmargin scenarios ...`` on the CLI's subcommands."""
    scenarios = commands.add_parser("scenarios", help="build, show, post and fetch scenario sets")
    verbs = scenarios.add_subparsers(dest="verb", required=True)

    build = verbs.add_parser("build", help="build a scenario set from real closes")
    build.add_argument("--method", choices=METHODS, required=True)
    build.add_argument("--assets", default="ETH", help="comma-separated, e.g. ETH,BTC")
    build.add_argument("--csv", type=Path, help="a CSV of date,asset,close instead")
    build.add_argument("--start", type=date.fromisoformat, help="first date (ISO)")
    build.add_argument("--end", type=date.fromisoformat, help="last date (ISO)")
    build.add_argument("--window", type=int, default=1000, help="daily returns looked back")
    build.add_argument("--horizon", type=int, default=1, help="holding period in days")
    build.add_argument("--non-overlapping", action="store_true")
    build.add_argument(
        "--model", choices=[model.value for model in VolatilityModel], default="ewma"
    )
    build.add_argument("--ewma-lambda", type=float, default=0.94)
    build.add_argument("--n", type=int, default=1000, help="Monte Carlo scenarios")
    build.add_argument("--seed", type=int, default=1, help="Monte Carlo seed")
    build.add_argument(
        "--stress",
        action="append",
        default=[],
        metavar="RETURN:VOLSHIFT",
        help="add a stress scenario, e.g. --stress=-0.4:0.5 (-40%% spot, +50 vol points)",
    )
    build.add_argument("--alpha-bps", type=int, default=9750)
    build.add_argument("--output", "-o", type=Path, required=True)
    build.set_defaults(run=build_command)

    show = verbs.add_parser("show", help="summarize a scenario file and plot its shocks")
    show.add_argument("file", type=Path)
    show.add_argument("--png", type=Path, help="where to draw the PNG (default: FILE.png)")
    show.set_defaults(run=show_command)

    post = verbs.add_parser("post", help="commit and publish a scenario file on-chain")
    post.add_argument("file", type=Path)
    _chain_arguments(post)
    add_key_options(post, "registry owner (with --timelock: a proposer or executor)")
    post.add_argument(
        "--timelock",
        help="the ParameterTimelock that owns the registry: schedule the set as one batch",
    )
    post.add_argument(
        "--execute",
        action="store_true",
        help="with --timelock: execute the batch scheduled before, once its delay has passed",
    )
    post.set_defaults(run=post_command)

    fetch = verbs.add_parser("fetch", help="rebuild a posted epoch from the chain")
    fetch.add_argument("--epoch", type=whole_number, required=True)
    _chain_arguments(fetch)
    fetch.add_argument("--output", "-o", type=Path, required=True)
    fetch.set_defaults(run=fetch_command)


def _chain_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rpc-url", required=True)
    parser.add_argument("--registry", required=True, help="the ScenarioRegistry's address")


def parse_stress(texts: Sequence[str]) -> list[tuple[float, float]]:
    """``RETURN:VOLSHIFT`` pairs as floats; a malformed one raises ValueError naming it."""
    shocks = []
    for text in texts:
        parts = text.split(":")
        try:
            if len(parts) != 2:
                raise ValueError
            shocks.append((float(parts[0]), float(parts[1])))
        except ValueError:
            raise InputError(
                f"--stress {text!r}: expected RETURN:VOLSHIFT, e.g. --stress=-0.4:0.5"
            ) from None
    return shocks


def build_scenarios(arguments: argparse.Namespace) -> ScenarioSet:
    """The quantized scenario set that ``arguments`` (of ``build``) describe."""
    if arguments.csv is not None:
        table = read_price_csv(arguments.csv)
    else:
        assets = [name.strip() for name in arguments.assets.split(",") if name.strip()]
        table = load_shipped(assets, arguments.start, arguments.end)
    closes = table.closes_array()
    raw: RawScenarios
    if arguments.method == "historical":
        raw = historical(closes, arguments.window, arguments.horizon, not arguments.non_overlapping)
    elif arguments.method == "filtered-historical":
        raw = filtered_historical(
            closes,
            arguments.window,
            horizon=arguments.horizon,
            overlapping=not arguments.non_overlapping,
            model=VolatilityModel(arguments.model),
            ewma_lambda=arguments.ewma_lambda,
        )
    else:
        raw = monte_carlo(
            closes, arguments.window, n=arguments.n, seed=arguments.seed, horizon=arguments.horizon
        )
    shocks = parse_stress(arguments.stress)
    if shocks:
        raw = combine(raw, stress_scenarios(len(table.assets), shocks))
    return quantize_scenarios(
        table.assets,
        raw.spot_returns,
        raw.vol_shifts,
        stress=raw.stress,
        alpha_bps=arguments.alpha_bps,
        method=arguments.method.replace("-", "_"),
        parameters=raw.parameters,
        source=table.source,
    )


def build_command(arguments: argparse.Namespace) -> int:
    try:
        scenario_set = build_scenarios(arguments)
    except (PriceDataError, ScenarioFileError):
        raise
    except ValueError as error:
        raise ScenarioInputError(str(error)) from error
    root = write_scenario_file(arguments.output, scenario_set)
    stressed = sum(scenario_set.stress)
    print(
        f"{arguments.output}: {scenario_set.n} scenarios ({stressed} stress) over "
        f"{', '.join(scenario_set.assets)}, root 0x{root.hex()}"
    )
    return 0


def tail_summary(scenario_set: ScenarioSet, asset: int) -> dict[str, int]:
    """Worst and best WAD return of ``asset``, and exact VaR and ES (WAD, rounded up) at the
    set's alpha of one long and one short unit at a price of 1."""
    returns = [row[asset] for row in scenario_set.spot_returns]
    tail = tail_weight(scenario_set.n, scenario_set.alpha_bps)
    summary = {"worst": min(returns), "best": max(returns)}
    for side, sign in (("long", 1), ("short", -1)):
        losses = [-sign * r for r in returns]
        summary[f"{side} VaR"] = sorted(losses, reverse=True)[tail.witness_count - 1]
        summary[f"{side} ES"] = expected_shortfall(losses, scenario_set.alpha_bps)
    return summary


def show_command(arguments: argparse.Namespace) -> int:
    scenario_file = read_scenario_file(arguments.file)
    scenario_set = scenario_file.scenario_set
    console = Console(width=120)
    epoch = "not posted" if scenario_file.epoch is None else f"epoch {scenario_file.epoch}"
    tail = tail_weight(scenario_set.n, scenario_set.alpha_bps)
    console.print(f"{arguments.file}: {scenario_set.description}")
    console.print(
        f"{epoch}, N = {scenario_set.n} ({sum(scenario_set.stress)} stress), "
        f"alpha = {scenario_set.alpha_bps / 100:.2f}%, k = {Decimal(tail.k_num) / 10_000}, "
        f"root 0x{scenario_file.root.hex()}"
    )
    table = Table(box=box.SIMPLE, title="per asset, % of a unit", title_justify="left")
    columns = ("worst", "best", "long VaR", "long ES", "short VaR", "short ES")
    table.add_column("asset")
    for column in columns:
        table.add_column(column, justify="right")
    for index, asset in enumerate(scenario_set.assets):
        summary = tail_summary(scenario_set, index)
        table.add_row(asset, *(f"{Decimal(summary[c]) / WAD * 100:.2f}" for c in columns))
    console.print(table)
    png = arguments.png or arguments.file.with_suffix(".png")
    plot_shocks(scenario_set, png)
    console.print(f"shock distribution per asset: {png}")
    return 0


def plot_shocks(scenario_set: ScenarioSet, path: Path) -> None:
    """A PNG with one histogram of spot returns per asset, VaR and ES of a long unit
    marked, stress scenarios drawn apart."""
    plt = pyplot()

    count = len(scenario_set.assets)
    figure, axes = plt.subplots(count, 1, figsize=(8, 3 * count), squeeze=False)
    stress = np.array(scenario_set.stress)
    for index, asset in enumerate(scenario_set.assets):
        axis = axes[index][0]
        returns = np.array(
            [float(Decimal(row[index]) / WAD) * 100 for row in scenario_set.spot_returns]
        )
        axis.hist(returns[~stress], bins=80, color="tab:blue", alpha=0.8, label="scenarios")
        if stress.any():
            axis.hist(returns[stress], bins=20, color="tab:red", label="stress")
        summary = tail_summary(scenario_set, index)
        for name, style in (("long VaR", "--"), ("long ES", "-")):
            value = -float(Decimal(summary[name]) / WAD) * 100
            axis.axvline(value, color="black", linestyle=style, label=f"{name} {-value:.2f}%")
        axis.set_title(f"{asset}: spot return over the holding period (%)")
        axis.legend(loc="upper left", fontsize=8)
    save_figure(figure, path)


def post_command(arguments: argparse.Namespace) -> int:
    """Post directly as the registry's owner, or through its timelock: schedule the set's
    calls as one batch (salt: the set's root), then, after the delay, ``--execute`` the same
    batch. The set becomes the registry's next epoch; the file records it once it is
    posted."""
    if arguments.execute and not arguments.timelock:
        raise ServiceInputError("--execute needs --timelock")
    scenario_file = read_scenario_file(arguments.file)
    scenario_set = scenario_file.scenario_set
    chain = Chain.connect(arguments.rpc_url)
    sender = read_key(arguments)
    registry = contract_at(chain, "ScenarioRegistry", arguments.registry)
    if arguments.timelock:
        timelock = contract_at(chain, "ParameterTimelock", arguments.timelock)
        epoch = chain.call(registry.functions.lastEpoch()) + 1
        calls = scenario_set_calls(
            registry,
            epoch,
            spot_returns=scenario_set.spot_returns,
            vol_shifts=scenario_set.vol_shifts,
            alpha_bps=scenario_set.alpha_bps,
        )
        if not arguments.execute:
            operation = schedule(chain, sender, timelock, calls, scenario_file.root)
            delay = chain.call(timelock.functions.getMinDelay())
            print(
                f"{arguments.file}: scheduled as epoch {epoch} in {len(calls)} calls, operation "
                f"0x{operation.hex()}; run again with --execute in {delay} s"
            )
            return 0
        execute(chain, sender, timelock, calls, scenario_file.root)
    else:
        epoch = post_scenario_set(
            chain,
            sender,
            registry,
            spot_returns=scenario_set.spot_returns,
            vol_shifts=scenario_set.vol_shifts,
            alpha_bps=scenario_set.alpha_bps,
        )
    write_scenario_file(arguments.file, scenario_set, epoch)
    print(f"{arguments.file}: posted as epoch {epoch}, root 0x{scenario_file.root.hex()}")
    return 0


def fetch_command(arguments: argparse.Namespace) -> int:
    """The chain holds the leaves, N, alpha and the root; asset names, the method, its
    parameters and the stress flags live only in the builder's file, so the fetched file
    names assets by number and marks no scenario as stress. Its root is the committed one."""
    chain = Chain.connect(arguments.rpc_url)
    registry = contract_at(chain, "ScenarioRegistry", arguments.registry)
    published = read_scenario_set(chain, registry, arguments.epoch)
    assets = tuple(f"asset {i}" for i in range(len(published.spot_returns[0])))
    scenario_set = ScenarioSet(
        assets=assets,
        alpha_bps=published.alpha_bps,
        spot_returns=published.spot_returns,
        vol_shifts=published.vol_shifts,
        description=f"epoch {arguments.epoch} as published on-chain",
        method="published",
    )
    root = write_scenario_file(arguments.output, scenario_set, arguments.epoch)
    print(
        f"{arguments.output}: epoch {arguments.epoch}, {scenario_set.n} scenarios, "
        f"root 0x{root.hex()}"
    )
    return 0
