"""Runtime bytecode size of every production contract against the EIP-170 limit.

The production contracts are the ``contracts/*.sol`` files (not ``mocks/``, ``test/`` or
``interfaces/``), each defining the contract of its file's name, and the libraries of
``contracts/libraries/`` that are deployed on their own: those with external functions,
linked into a contract's bytecode (an internal-only library is compiled into its users).
For each one this reads the ``deployedBytecode`` of forge's artifact
``out/<Name>.sol/<Name>.json`` (build first: ``make build``), prints a table of its runtime
size and its headroom under 24,576 bytes, and exits non-zero, naming them, if any has less
than HEADROOM bytes of headroom. Standard library only: ``make sizes``, or
``python3 tools/contract_sizes.py`` from anywhere.
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "contracts"
OUT = ROOT / "out"
# EIP-170: the largest runtime bytecode a contract may have.
LIMIT = 24_576
# Every production contract keeps at least this much room below the limit.
HEADROOM = 4_096


def artifact(name: str) -> dict:
    """Forge's artifact of ``name``."""
    path = OUT / f"{name}.sol" / f"{name}.json"
    if not path.is_file():
        raise SystemExit(f"{path} is missing: run `make build` first")
    return json.loads(path.read_text())


def runtime_size(name: str) -> int:
    """Bytes of ``name``'s runtime bytecode in forge's artifact. A library placeholder
    (``__$...$__``, 40 characters) counts as the 20-byte address it stands for."""
    code = artifact(name)["deployedBytecode"]["object"]
    return len(code.removeprefix("0x")) // 2


def is_linked_library(name: str) -> bool:
    """Whether library ``name`` has external functions (``methodIdentifiers``: the ABI omits
    those with storage parameters): deployed on its own and linked."""
    return bool(artifact(name).get("methodIdentifiers"))


def main() -> int:
    names = sorted(path.stem for path in CONTRACTS.glob("*.sol"))
    if not names:
        raise SystemExit(f"no production contracts in {CONTRACTS}")
    libraries = (path.stem for path in (CONTRACTS / "libraries").glob("*.sol"))
    names += sorted(name for name in libraries if is_linked_library(name))
    rows = [(name, runtime_size(name)) for name in names]
    width = max(len(name) for name, _ in rows)
    print(f"{'contract':<{width}}  {'runtime bytes':>13}  {'headroom':>8}")
    for name, size in rows:
        flag = "" if LIMIT - size >= HEADROOM else f"  < {HEADROOM:,}"
        print(f"{name:<{width}}  {size:>13,}  {LIMIT - size:>8,}{flag}")
    short = [name for name, size in rows if LIMIT - size < HEADROOM]
    if short:
        print(
            f"headroom below {HEADROOM:,} bytes (EIP-170 limit {LIMIT:,}): {', '.join(short)}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
