"""Where vmargin finds Foundry's binaries and the compiled contracts.

Contracts: the ABI and creation bytecode of each production contract (and of the mock
token and aggregator, for local nodes) ship inside the package, in ``vmargin/artifacts/``
(``offchain/artifacts/`` in a checkout): ``make build`` compiles with forge and exports
them there (``tools/export_artifacts.py``), and the wheel carries them, so an installed
vmargin needs no checkout and no compiler.

Binaries: Foundry comes from npm (``@foundry-rs/anvil`` and friends); each ships its
binary in a platform package such as ``@foundry-rs/anvil-linux-amd64``, run directly, not
through npm's Node wrapper, so that signals sent to it reach the node itself. A checkout
uses the one in its ``node_modules``; an installed vmargin, the one on ``PATH``.
"""

import platform
import shutil
import sys
from pathlib import Path

from vmargin.errors import VmarginError

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
"""The exported contract artifacts: ``<Name>.json`` with ``abi`` and ``bytecode``."""

CHECKOUT = Path(__file__).resolve().parents[2]
"""The project checkout vmargin runs from, if it runs from one (its node_modules)."""

_PLATFORMS = {
    ("linux", "x86_64"): "linux-amd64",
    ("linux", "aarch64"): "linux-arm64",
    ("darwin", "x86_64"): "darwin-amd64",
    ("darwin", "arm64"): "darwin-arm64",
}


class ToolchainError(VmarginError):
    """A tool or build output is missing; the message says which command installs it."""


def foundry_binary(tool: str) -> Path:
    """The path of Foundry's ``tool`` (anvil, forge, cast): the checkout's npm build in
    ``node_modules`` when vmargin runs from a checkout that has one, else ``tool`` on PATH."""
    key = (sys.platform, platform.machine())
    if key in _PLATFORMS:
        package = CHECKOUT / "node_modules" / "@foundry-rs" / f"{tool}-{_PLATFORMS[key]}"
        if (CHECKOUT / "node_modules").is_dir():
            binary = package / "bin" / tool
            if not binary.is_file():
                raise ToolchainError(f"{binary} is missing: run `make install` in {CHECKOUT}")
            return binary
    found = shutil.which(tool)
    if found is None:
        raise ToolchainError(
            f"{tool} is not on PATH: install Foundry (`npm install @foundry-rs/{tool}`), "
            "or run from a checkout after `make install`"
        )
    return Path(found)


def artifact_path(contract: str) -> Path:
    """The exported artifact of ``contract`` (``vmargin/artifacts/<Name>.json``)."""
    path = ARTIFACTS / f"{contract}.json"
    if not path.is_file():
        raise ToolchainError(
            f"{path} is missing: run `make build` in the checkout (or reinstall vmargin)"
        )
    return path
