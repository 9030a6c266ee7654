"""Attested margin's services on Anvil, as separate processes: four ``vmargin operator
run`` endpoints attest a withdrawal that then goes through without a certificate; they
refuse bad requests by name; and ``vmargin watch`` checks every accepted attestation,
challenges the one that understates ES, takes the signers' bonds, re-checks the account,
and after a restart reports it voided instead of challenging twice."""

import json
import logging
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from vmargin.attestation.attested_margin import accept_attestation, attestation_of, state_abi
from vmargin.attestation.operator import (
    AttestationRequest,
    Operator,
    gather_quorum,
    request_attestation,
    sign_request,
    signature_json,
)
from vmargin.attestation.operator_registry import deploy_attested_margin
from vmargin.chain.anvil import AnvilNode
from vmargin.chain.client import Chain, TransactionReverted, anvil_accounts, emitted
from vmargin.chain.deployment import Deployment, RiskParameters, deploy_vmargin, mint_and_deposit
from vmargin.chain.reads import read_account, read_initial_margin_parameters, read_marks
from vmargin.chain.scenario_registry import ScenarioSets, post_scenario_set, read_scenario_set
from vmargin.numerics.fixedpoint import WAD
from vmargin.numerics.margin import initial_margin_of
from vmargin.numerics.portfolio import Account, Marks
from vmargin.oracle.feeds import push_price
from vmargin.proofs.attestation import attestation_digest
from vmargin.proofs.bls import BlsKey, key_from_secret
from vmargin.proofs.certificate import NO_MARGIN_CERTIFICATE
from vmargin.proofs.quorum import quorum_signature
from vmargin.settlement import settle_perp_trade

USDC = 10**6
BOND = 10_000 * USDC
N = 40
OPERATORS = 5
SERVED = 4  # 6,600 bps of five equal bonds needs four signers


@dataclass(kw_only=True, frozen=True)
class Services:
    node: AnvilNode
    chain: Chain
    deployment: Deployment
    attested: Contract
    keys: tuple[BlsKey, ...]
    trader: LocalAccount
    watcher: LocalAccount
    urls: tuple[str, ...]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_listening(port: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            _, errors = process.communicate()
            raise AssertionError(f"operator exited: {errors}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"no operator listening on {port}")


def vmargin(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "vmargin.cli.main", *arguments]


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """A deployment with five bonded operators, four of them serving over HTTP."""
    with AnvilNode(accounts=12) as node:
        chain = Chain.connect(node.rpc_url)
        owner, backstop, settler, maker, trader, watcher, *operators = anvil_accounts(11)
        deployment = deploy_vmargin(
            chain, owner, backstop=backstop.address, assets=("ETH",), risk=RiskParameters()
        )
        clearinghouse = deployment.clearinghouse
        chain.transact(owner, clearinghouse.functions.setSettler(settler.address, True))
        returns = tuple(((i - N // 2) * WAD // 200,) for i in range(N))
        epoch = post_scenario_set(
            chain,
            owner,
            deployment.registry,
            spot_returns=returns,
            vol_shifts=((0,),) * N,
            alpha_bps=9750,
        )
        push_price(chain, owner, deployment.aggregators[0], Decimal(2000))
        keys = tuple(key_from_secret(7_777_777 * (i + 2)) for i in range(OPERATORS))
        attested = deploy_attested_margin(
            deployment,
            owner,
            operators=operators,
            keys=keys,
            bond=BOND,
            quorum_bps=6_600,
            challenge_window=3600,
        )
        mint_and_deposit(deployment, owner, maker, 1_000_000)
        mint_and_deposit(deployment, owner, trader, 5_000)
        scenarios = read_scenario_set(chain, deployment.registry, epoch)
        settle_perp_trade(
            deployment,
            settler,
            scenarios,
            buyer=trader.address,
            seller=maker.address,
            asset=0,
            size=5 * WAD,
            price=2000 * WAD,
        )
        directory = tmp_path_factory.mktemp("operators")
        ports = [free_port() for _ in range(SERVED)]
        urls = tuple(f"http://127.0.0.1:{port}" for port in ports)
        processes = []
        for index, port in enumerate(ports):
            key_file = directory / f"operator-{index}.key"
            key_file.write_text(str(keys[index].secret))
            peers = [f"--peer={url}" for url in urls if url != urls[index]]
            command = vmargin(
                "operator",
                "run",
                f"--rpc-url={node.rpc_url}",
                f"--clearinghouse={clearinghouse.address}",
                f"--bls-key-file={key_file}",
                f"--port={port}",
                *peers,
            )
            processes.append(
                subprocess.Popen(
                    command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
                )
            )
        try:
            for port, process in zip(ports, processes, strict=True):
                wait_until_listening(port, process)
            yield Services(
                node=node,
                chain=chain,
                deployment=deployment,
                attested=attested,
                keys=keys,
                trader=trader,
                watcher=watcher,
                urls=urls,
            )
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=30)


def after_withdrawal(services: Services, usdc: int) -> tuple[Account, Marks, int]:
    deployment = services.deployment
    block = services.chain.w3.eth.block_number
    account = read_account(deployment, services.trader.address, block)
    account = replace(account, cash=account.cash - usdc * WAD)
    return account, read_marks(deployment, account, block), block


def withdraw(services: Services, usdc: int) -> dict:
    clearinghouse = services.deployment.clearinghouse
    receipt = services.chain.transact(
        services.trader,
        clearinghouse.functions.withdraw(usdc * USDC, NO_MARGIN_CERTIFICATE.as_abi()),
    )
    return emitted(clearinghouse, "InitialMarginChecked", receipt)[0]


def test_the_operators_attest_a_withdrawal_that_then_needs_no_certificate(
    services: Services,
) -> None:
    account, marks, block = after_withdrawal(services, 400)
    request = AttestationRequest(account.address, state_abi(account, marks), block, marks.now + 300)
    attestation, quorum = request_attestation(services.urls[2], request)
    parameters = read_initial_margin_parameters(services.deployment, block)
    expected = attestation_of(
        services.chain.chain_id,
        services.attested.address,
        account=account,
        marks=marks,
        block_number=block,
        scenarios=read_scenario_set(
            services.chain, services.deployment.registry, attestation.epoch
        ),
        parameters=parameters,
        expiry=marks.now + 300,
    )
    assert attestation == expected
    assert quorum.signers == 0b1111  # the four serving operators
    accept_attestation(
        services.chain,
        services.trader,
        services.attested,
        attestation=attestation,
        quorum=quorum,
        state=request.state,
    )
    checked = withdraw(services, 400)
    assert checked["initialMargin"] == attestation.initial_margin


def test_an_operator_refuses_a_bad_request_by_name(services: Services) -> None:
    account, marks, block = after_withdrawal(services, 100)
    state = state_abi(account, marks)
    for request, message in (
        (
            AttestationRequest(account.address, state, block, marks.now + 3600),
            "more than 600 s after the valuation",
        ),
        (AttestationRequest(account.address, state, block + 10, marks.now + 60), "not mined"),
        (AttestationRequest(account.address, state, block, marks.now - 1), "has passed"),
    ):
        with pytest.raises(ValueError, match=message):
            request_attestation(services.urls[0], request)


@contextmanager
def lying_peer(answer: Callable[[], dict]) -> Iterator[str]:
    """A peer at the URL yielded that answers every ``POST`` with ``answer()``."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            body = json.dumps(answer()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *arguments: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_peer_that_signs_falsely_or_as_another_operator_is_left_out_of_the_quorum(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    """Operator 0 gathers from its three honest peers and two liars, asked first: one
    sends operator 3's valid signature as operator 0's own, one signs as operator 1 with a
    key operator 1 never registered. The aggregate of the first signature of each index
    fails the verifier, so each peer's is checked alone: both liars are named and left
    out, and the honest four make the quorum."""
    account, marks, block = after_withdrawal(services, 50)
    request = AttestationRequest(account.address, state_abi(account, marks), block, marks.now + 300)

    def operator(index: int, key: BlsKey, peers: tuple[str, ...] = ()) -> Operator:
        chain, registry = services.chain, services.deployment.registry
        return Operator(
            deployment=services.deployment,
            attested_margin=services.attested,
            key=key,
            index=index,
            max_lifetime=600,
            scenario_sets=ScenarioSets(chain, registry),
            peers=peers,
        )

    as_own = replace(sign_request(operator(3, services.keys[3]), request), operator=0)
    foreign = sign_request(operator(1, key_from_secret(424_242)), request)
    with (
        lying_peer(lambda: signature_json(as_own)) as liar_as_own,
        lying_peer(lambda: signature_json(foreign)) as liar_as_one,
    ):
        peers = (liar_as_own, liar_as_one, *services.urls[1:])
        caplog.set_level(logging.WARNING, "vmargin.operator")
        attestation, quorum = gather_quorum(operator(0, services.keys[0], peers), request)

    assert quorum.signers == 0b1111
    assert attestation == as_own.attestation
    warnings = [record.getMessage() for record in caplog.records]
    assert warnings == [
        f"peer {liar_as_own}: not a valid signature of operator 0",
        f"peer {liar_as_one}: not a valid signature of operator 1",
    ]


def watch(services: Services) -> list[dict[str, Any]]:
    """``vmargin watch --once`` from block 0; its actions."""
    command = vmargin(
        "watch",
        f"--rpc-url={services.node.rpc_url}",
        f"--clearinghouse={services.deployment.clearinghouse.address}",
        f"--key=0x{services.watcher.key.hex()}",
        "--once",
    )
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_the_watcher_disproves_an_understated_es_and_takes_the_bonds(services: Services) -> None:
    chain, attested, token = services.chain, services.attested, services.deployment.stablecoin
    account, marks, block = after_withdrawal(services, 3_000)
    liars = {i: services.keys[i] for i in range(SERVED)}
    parameters = read_initial_margin_parameters(services.deployment, block)
    registry = services.deployment.registry
    scenarios = read_scenario_set(chain, registry, chain.call(registry.functions.currentEpoch()))
    honest = attestation_of(
        chain.chain_id,
        attested.address,
        account=account,
        marks=marks,
        block_number=block,
        scenarios=scenarios,
        parameters=parameters,
        expiry=marks.now + 600,
    )
    es = honest.expected_shortfall // 5
    lie = replace(
        honest,
        expected_shortfall=es,
        initial_margin=initial_margin_of(account, marks, es, parameters),
    )
    quorum = quorum_signature(liars, attestation_digest(attested.address, lie))
    receipt = accept_attestation(
        chain,
        services.trader,
        attested,
        attestation=lie,
        quorum=quorum,
        state=state_abi(account, marks),
    )
    lie_id = "0x" + bytes(emitted(attested, "AttestationAccepted", receipt)[0]["id"]).hex()
    withdraw(services, 3_000)  # the lie lets too much out
    before = chain.call(token.functions.balanceOf(services.watcher.address))

    actions = watch(services)

    by_id = {action["id"]: action for action in actions if "id" in action}
    assert by_id[lie_id]["action"] == "challenged"
    assert by_id[lie_id]["attested_es"] == str(es)
    assert int(by_id[lie_id]["bound"]) > es
    assert by_id[lie_id]["slashed"] == str(SERVED * BOND)
    assert chain.call(token.functions.balanceOf(services.watcher.address)) - before == (
        SERVED * BOND
    )
    others = [action for action in by_id.values() if action["id"] != lie_id]
    assert others and all(action["action"] == "checked" for action in others)
    (rechecked,) = [action for action in actions if action["action"] == "rechecked"]
    assert rechecked["account"] == services.trader.address
    with pytest.raises(TransactionReverted) as refused:
        chain.call(attested.functions.initialMarginOf(account.address, lie.state_hash))
    assert refused.value.error == "AttestedMargin.NoValidAttestation"

    again = {action["id"]: action["action"] for action in watch(services) if "id" in action}
    assert again[lie_id] == "voided"
    assert chain.call(token.functions.balanceOf(services.watcher.address)) - before == (
        SERVED * BOND
    )
