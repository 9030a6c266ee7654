"""``vmargin scenarios``: the chain round trip (post, fetch) and its errors."""

from pathlib import Path

from vmargin.chain.anvil import AnvilNode
from vmargin.chain.client import Chain, anvil_accounts
from vmargin.cli.main import main
from vmargin.oracle.scenario_file import read_scenario_file


def test_build_show_and_the_chain_round_trip(tmp_path: Path, anvil: AnvilNode) -> None:
    path = tmp_path / "fhs.json"
    assert (
        main(
            [
                "scenarios",
                "build",
                "--method",
                "filtered-historical",
                "--assets",
                "ETH,BTC",
                "--window",
                "500",
                "--stress=-0.4:0.5",
                "--stress=0.3:0.2",
                "-o",
                str(path),
            ]
        )
        == 0
    )
    built = read_scenario_file(path)
    assert built.scenario_set.n == 502 and sum(built.scenario_set.stress) == 2
    assert main(["scenarios", "show", str(path), "--png", str(tmp_path / "fhs.png")]) == 0
    assert (tmp_path / "fhs.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    chain = Chain.connect(anvil.rpc_url)
    owner = anvil_accounts(1)[0]
    registry = chain.deploy(owner, "ScenarioRegistry", owner.address)
    chain_arguments = ["--rpc-url", anvil.rpc_url, "--registry", registry.address]
    assert main(["scenarios", "post", str(path), *chain_arguments, "--key", owner.key.hex()]) == 0
    posted = read_scenario_file(path)
    assert posted.epoch == 1 and posted.root == built.root
    fetched_path = tmp_path / "fetched.json"
    assert (
        main(["scenarios", "fetch", "--epoch", "1", *chain_arguments, "-o", str(fetched_path)]) == 0
    )
    fetched = read_scenario_file(fetched_path)
    assert fetched.root == built.root
    assert fetched.scenario_set.spot_returns == built.scenario_set.spot_returns
    assert fetched.scenario_set.vol_shifts == built.scenario_set.vol_shifts
