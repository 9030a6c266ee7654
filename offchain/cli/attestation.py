"""``vmargin operator run`` and ``vmargin watch``: the two services of attested margin.

``operator run`` serves one risk operator's HTTP endpoint (``offchain/attestation/operator.py``)
with its BLS key; ``watch`` checks every accepted attestation and challenges the wrong
ones (``offchain/attestation/watcher.py``). Both find ``AttestedMargin`` from the clearinghouse and
print one JSON line per action on stdout, logs on stderr.
"""

import argparse
import json
import logging
from pathlib import Path
from typing import Any

from web3.contract import Contract

from vmargin.attestation.operator import Operator, operator_index, serve
from vmargin.attestation.operator_registry import operator_registry
from vmargin.attestation.watcher import Watcher, run_watcher
from vmargin.chain.client import Chain
from vmargin.chain.deployment import Deployment, attach
from vmargin.chain.scenario_registry import ScenarioSets
from vmargin.cli.arguments import (
    ServiceInputError,
    add_key_options,
    log_to_stderr,
    port_number,
    read_key,
    read_text,
    seconds,
    whole_number,
)
from vmargin.proofs.bls import BlsKey, key_from_secret

log = logging.getLogger("vmargin")
ZERO_ADDRESS = "0x" + "00" * 20


def add_attestation_commands(commands: argparse._SubParsersAction) -> None:
    """Register ``vmargin operator run`` and ``vmargin watch``."""
    operator = commands.add_parser("operator", help="a risk operator of attested margin")
    actions = operator.add_subparsers(dest="operator_command", required=True)
    run = actions.add_parser("run", help="serve attestation requests over HTTP")
    run.add_argument("--rpc-url", required=True)
    run.add_argument("--clearinghouse", required=True, help="the Clearinghouse's address")
    run.add_argument(
        "--bls-key-file", type=Path, required=True, help="the operator's BLS secret (an integer)"
    )
    run.add_argument("--host", default="127.0.0.1", help="address to listen on")
    run.add_argument("--port", type=port_number, required=True, help="port to listen on (0: any)")
    run.add_argument(
        "--peer", action="append", default=[], help="another operator's URL (repeatable)"
    )
    run.add_argument(
        "--max-lifetime",
        type=whole_number,
        default=600,
        help="latest expiry signed, in seconds after the valuation (default 600)",
    )
    run.set_defaults(run=operator_run_command)

    watch = commands.add_parser("watch", help="check every attestation, challenge wrong ones")
    watch.add_argument("--rpc-url", required=True)
    watch.add_argument("--clearinghouse", required=True, help="the Clearinghouse's address")
    add_key_options(watch, "watcher")
    watch.add_argument("--start-block", type=whole_number, default=0, help="first block to read")
    watch.add_argument("--once", action="store_true", help="one pass to the latest block, exit")
    watch.add_argument("--poll-interval", type=seconds, default=1.0, help="seconds between polls")
    watch.set_defaults(run=watch_command)


def operator_run_command(arguments: argparse.Namespace) -> int:
    """Serve as the operator ``arguments`` name until interrupted."""
    key = read_bls_key(arguments.bls_key_file)
    deployment, attested = _attested_margin(arguments)
    chain = deployment.chain
    registry = operator_registry(chain, attested)
    operator = Operator(
        deployment=deployment,
        attested_margin=attested,
        key=key,
        index=operator_index(chain, registry, key),
        max_lifetime=arguments.max_lifetime,
        scenario_sets=ScenarioSets(chain, deployment.registry),
        peers=tuple(arguments.peer),
    )
    log_to_stderr()
    serve(operator, arguments.host, arguments.port, _print_action)
    return 0


def watch_command(arguments: argparse.Namespace) -> int:
    """Watch the attestations of the clearinghouse ``arguments`` name."""
    key = read_key(arguments)
    deployment, attested = _attested_margin(arguments)
    watcher = Watcher(
        deployment=deployment,
        attested_margin=attested,
        key=key,
        report=_print_action,
        scenario_sets=ScenarioSets(deployment.chain, deployment.registry),
        next_block=arguments.start_block,
    )
    log_to_stderr()
    log.info("watcher %s, attested margin %s", key.address, attested.address)
    run_watcher(watcher, once=arguments.once, poll_interval=arguments.poll_interval)
    return 0


def read_bls_key(path: Path) -> BlsKey:
    """The BLS key whose secret (decimal or 0x-hex) is in the file at ``path``."""
    text = read_text(path, "--bls-key-file")
    try:
        return key_from_secret(int(text, 0))
    except ValueError:
        raise ServiceInputError(
            f"{path} does not hold a BLS secret (an integer in [1, r))"
        ) from None


def _attested_margin(arguments: argparse.Namespace) -> tuple[Deployment, Contract]:
    deployment = attach(Chain.connect(arguments.rpc_url), arguments.clearinghouse)
    chain = deployment.chain
    address = chain.call(deployment.clearinghouse.functions.attestedMargin())
    if address == ZERO_ADDRESS:
        raise ServiceInputError(
            f"the clearinghouse {arguments.clearinghouse} takes no attestations"
        )
    return deployment, chain.contract("AttestedMargin", address)


def _print_action(action: dict[str, Any]) -> None:
    print(json.dumps(action, sort_keys=True), flush=True)
    log.info("%s", " ".join(f"{name}={value}" for name, value in action.items()))
