"""The wheel works outside the checkout: ``pip wheel .`` carries the compiled artifacts,
and installed into a fresh virtual environment in another folder, with ``vmargin`` as its
only import name, its commands run against a node.

The fresh environment borrows the third-party dependencies of the project's own
environment (a ``.pth`` line to its site-packages, which does not process that
environment's editable install of vmargin): vmargin itself comes from the wheel alone.
"""

import json
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from support.project import PROJECT_ROOT
from vmargin.chain.anvil import AnvilNode
from vmargin.cli.demo import DemoResult


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel built from the checkout installed in it;
    its ``bin`` folder."""
    root = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(root), "."],
        cwd=PROJECT_ROOT,
        check=True,
    )
    (wheel,) = root.glob("vmargin-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    distribution = "-".join(wheel.name.split("-")[:2])
    assert {name.split("/")[0] for name in names} == {"vmargin", f"{distribution}.dist-info"}
    assert "vmargin/artifacts/Clearinghouse.json" in names
    assert "vmargin/py.typed" in names
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            str(wheel),
        ],
        check=True,
    )
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(site) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin"


def run(bin_: Path, cwd: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(bin_ / arguments[0]), *arguments[1:]], cwd=cwd, capture_output=True, text=True
    )


def test_only_vmargin_is_installed_and_it_comes_from_the_wheel(
    installed: Path, tmp_path: Path
) -> None:
    probe = (
        "import importlib.util, vmargin; print(vmargin.__file__); "
        "print([n for n in ('offchain', 'oracle', 'proofs') if importlib.util.find_spec(n)])"
    )
    done = run(installed, tmp_path, "python", "-c", probe)
    assert done.returncode == 0, done.stderr
    location, found = done.stdout.splitlines()
    assert Path(location).is_relative_to(installed.parent)
    assert found == "[]"
    version = run(installed, tmp_path, "vmargin", "--version")
    assert version.stdout.strip().startswith("vmargin ")


def test_scenarios_build_and_margin_run_from_the_wheel_against_a_node(
    installed: Path, tmp_path: Path, anvil: AnvilNode, demo: DemoResult
) -> None:
    built = run(
        installed,
        tmp_path,
        "vmargin",
        "scenarios",
        "build",
        "--method",
        "historical",
        "--assets",
        "ETH",
        "--window",
        "250",
        "-o",
        "eth.json",
    )
    assert built.returncode == 0, built.stderr
    assert json.loads((tmp_path / "eth.json").read_text())["n"] == 250
    account = next(address for address, label in demo.labels.items() if label == "market maker")
    margin = run(
        installed,
        tmp_path,
        "vmargin",
        "margin",
        "--rpc-url",
        anvil.rpc_url,
        "--clearinghouse",
        demo.deployment.clearinghouse.address,
        "--json",
        account,
    )
    assert margin.returncode == 0, margin.stderr
    assert json.loads(margin.stdout)["account"] == account
