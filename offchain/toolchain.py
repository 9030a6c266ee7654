"""Where the project's Node-installed tools and forge's build output live.

Foundry comes from npm (``@foundry-rs/anvil`` and friends); each ships its
binary in a platform package such as ``@foundry-rs/anvil-linux-amd64``. The
binary is run directly, not through npm's Node wrapper, so that signals sent to
it reach the node itself.
"""

import platform
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

_PLATFORMS = {
    ("linux", "x86_64"): "linux-amd64",
    ("linux", "aarch64"): "linux-arm64",
    ("darwin", "x86_64"): "darwin-amd64",
    ("darwin", "arm64"): "darwin-arm64",
}


class ToolchainError(RuntimeError):
    """A tool or build output is missing; the message says which command installs it."""


def foundry_binary(tool: str) -> Path:
    """The path of Foundry's ``tool`` (anvil, forge, cast) from the project's node_modules."""
    key = (sys.platform, platform.machine())
    if key not in _PLATFORMS:
        raise ToolchainError(f"no Foundry npm build for {key[0]} {key[1]}")
    binary = (
        PROJECT_ROOT / "node_modules" / "@foundry-rs" / f"{tool}-{_PLATFORMS[key]}" / "bin" / tool
    )
    if not binary.is_file():
        raise ToolchainError(f"{binary} is missing: run `make install` in {PROJECT_ROOT}")
    return binary


def artifact_path(contract: str) -> Path:
    """Forge's build artifact of ``contract`` (``out/<Name>.sol/<Name>.json``)."""
    path = PROJECT_ROOT / "out" / f"{contract}.sol" / f"{contract}.json"
    if not path.is_file():
        raise ToolchainError(f"{path} is missing: run `make build` in {PROJECT_ROOT}")
    return path
