"""One table of on-chain gas, from forge's gas snapshots: the certificate paths, the numeric
library and liquidation.

Runs ``forge test`` on the gas tests, which record every measurement with forge's gas
snapshot cheatcodes into ``snapshots/<group>.json``, then reads those files:

- certificate (``contracts/test/CertificateGas.t.sol``): a liquidation certificate checked
  by ``isLiquidatable`` (ceil(k) witnesses with Merkle proofs, ES at 97.5%), and a margin
  certificate (the Rockafellar-Uryasev bound over all N scenarios, IM = ES at 99%) checked
  by a withdrawal and by a trade that grows one side; one perp, N = 250 and N = 1,000;
- liquidation (same file): a full liquidation of that perp with the ceil(k) worst
  witnesses, once with the keeper paid and once with bad debt walking the waterfall;
- numeric library (``contracts/test/NumericsGas.t.sol``): one internal call of each
  function on a typical input.

A contract call is measured as its own transaction (forge's isolation mode): its gas used,
21,000 and calldata included, refunds deducted. A library call is the execution gas of the
call alone. Writes one Markdown table to ``benchmarks/results/gas.md`` and prints it; run
with ``make bench`` or ``.venv/bin/python benchmarks/gas_table.py`` from anywhere.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

from vmargin.chain.toolchain import ToolchainError, foundry_binary

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOTS = ROOT / "snapshots"
RESULT = ROOT / "benchmarks" / "results" / "gas.md"
GAS_CONTRACTS = "CertificateGas|NumericsGas"
# Snapshot group and the area it is tabulated as, in table order.
GROUPS = (
    ("certificates", "certificate"),
    ("numerics", "numeric library"),
    ("liquidation", "liquidation"),
)
NOTE = (
    "Certificate and liquidation rows: gas used by the call sent as its own transaction "
    "(21,000 and calldata included, refunds deducted), on an account with one perp; "
    "liquidation certificates at ES 97.5% (ceil(N / 40) witnesses), margin certificates at "
    "ES 99%. Numeric library rows: one internal call, execution only. From forge's gas "
    "snapshots, by `benchmarks/gas_table.py`."
)


def run_gas_tests() -> None:
    """Run the gas tests, which write the snapshot files anew; exit if forge fails.

    Forge's own binary, not npm's ``node_modules/.bin/forge``: that wrapper exits with 0
    even when a test fails."""
    try:
        forge = foundry_binary("forge")
    except ToolchainError as error:
        raise SystemExit(str(error)) from None
    for group, _ in GROUPS:
        (SNAPSHOTS / f"{group}.json").unlink(missing_ok=True)
    command = [
        str(forge),
        "test",
        "--match-contract",
        GAS_CONTRACTS,
        "--gas-snapshot-emit=true",
        "--gas-snapshot-check=false",
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"`{' '.join(command)}` failed with exit code {result.returncode}")


def read_group(group: str) -> dict[str, int]:
    """The gas of every snapshot forge wrote in ``group``, by name."""
    path = SNAPSHOTS / f"{group}.json"
    if not path.is_file():
        raise SystemExit(f"forge test passed but wrote no {path}")
    return {name: int(gas) for name, gas in json.loads(path.read_text()).items()}


def natural_key(name: str) -> list[str | int]:
    """Sort key that orders the numbers in names by value (N = 250 before N = 1000)."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def gas_table(rows: list[tuple[str, str, int]]) -> str:
    """A Markdown table of (area, operation, gas) rows."""
    lines = ["| area | operation | gas |", "| --- | --- | ---: |"]
    lines += [f"| {area} | {operation} | {gas:,} |" for area, operation, gas in rows]
    return "\n".join(lines) + "\n"


def main() -> None:
    run_gas_tests()
    rows = []
    for group, area in GROUPS:
        snapshots = read_group(group)
        for name in sorted(snapshots, key=natural_key):
            rows.append((area, name, snapshots[name]))
    text = gas_table(rows) + "\n" + NOTE + "\n"
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(text)
    print(text, end="")


if __name__ == "__main__":
    main()
