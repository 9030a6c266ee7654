"""Export the ABI, creation bytecode and library link references of every non-test
contract forge built into the Python package (``offchain/artifacts/<Name>.json``, shipped
as ``vmargin/artifacts``).

Run by ``make build`` after ``forge build``. Standard library only. A file is rewritten
only when its content changes, and an artifact whose contract is gone is removed, so the
folder is exactly the build's production contracts, libraries, interfaces and mocks.
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "out"
ARTIFACTS = ROOT / "offchain" / "artifacts"


def exported(source: str) -> bool:
    """Whether a contract of ``source`` (a path relative to the project) ships."""
    return source.startswith("contracts/") and not source.startswith("contracts/test/")


def main() -> int:
    if not OUT.is_dir():
        sys.exit(f"export_artifacts: {OUT} is missing: run forge build first")
    ARTIFACTS.mkdir(exist_ok=True)
    wanted: dict[str, str] = {}
    for path in sorted(OUT.glob("*.sol/*.json")):
        artifact = json.loads(path.read_text())
        targets = artifact.get("metadata", {}).get("settings", {}).get("compilationTarget", {})
        for source, name in targets.items():
            if exported(source) and name == path.stem:
                body = {
                    "abi": artifact["abi"],
                    "bytecode": artifact["bytecode"]["object"],
                    "linkReferences": artifact["bytecode"]["linkReferences"],
                }
                wanted[f"{name}.json"] = json.dumps(body, sort_keys=True) + "\n"
    for stale in set(p.name for p in ARTIFACTS.glob("*.json")) - set(wanted):
        (ARTIFACTS / stale).unlink()
    for name, text in wanted.items():
        target = ARTIFACTS / name
        if not target.is_file() or target.read_text() != text:
            target.write_text(text)
    print(f"export_artifacts: {len(wanted)} contracts in {ARTIFACTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
