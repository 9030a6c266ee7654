"""Reports of replayed liquidations: JSON for machines, Markdown and a PNG for people.

Amounts in the JSON are WAD integers written as decimal strings (exact); the Markdown
shows them in USD with two decimals and says whether each check matched to the wei.
"""

import json
from decimal import Decimal
from pathlib import Path

from vmargin.audit.replay import LiquidationReplay
from vmargin.numerics.fixedpoint import WAD
from vmargin.plotting import pyplot, save_figure


def _usd(wad: int) -> str:
    return f"{Decimal(wad) / WAD:,.2f}"


def report_json(report: LiquidationReplay) -> str:
    """The report as canonical JSON (sorted keys)."""
    document = {
        "tx_hash": report.tx_hash,
        "block": report.block,
        "account": report.account,
        "keeper": report.keeper,
        "epoch": report.epoch,
        "fraction": str(report.fraction),
        "witnesses": list(report.witnesses),
        "witness_losses": [str(loss) for loss in report.witness_losses],
        "expected_shortfall": str(report.expected_shortfall),
        "value_at_risk": str(report.value_at_risk),
        "checks": [
            {
                "name": check.name,
                "onchain": str(check.onchain),
                "recomputed": str(check.recomputed),
                "matches": check.matches,
            }
            for check in report.checks
        ],
        "matches": report.matches,
    }
    return json.dumps(document, indent=1, sort_keys=True) + "\n"


def report_markdown(report: LiquidationReplay, png_name: str | None = None) -> str:
    """The report for a person: what was liquidated, each check, and the ES context."""
    bound = next(c.recomputed for c in report.checks if c.name == "ES lower bound")
    lines = [
        f"# Liquidation {report.tx_hash}",
        "",
        f"Block {report.block}, account `{report.account}`, keeper `{report.keeper}`, "
        f"epoch {report.epoch}, fraction {Decimal(report.fraction) / WAD:.4f}.",
        "",
        "| check | on-chain | recomputed | to the wei |",
        "| --- | ---: | ---: | --- |",
    ]
    for check in report.checks:
        if check.name.startswith("scenario "):
            continue
        lines.append(
            f"| {check.name} | {_usd(check.onchain)} | {_usd(check.recomputed)} | "
            f"{'yes' if check.matches else '**NO**'} |"
        )
    leaves = [c for c in report.checks if c.name.startswith("scenario ")]
    bad_leaves = [c.name for c in leaves if not c.matches]
    lines += [
        "",
        f"Witness scenarios ({len(leaves)}): "
        + ", ".join(str(index) for index in report.witnesses)
        + (". Every one is the committed leaf." if not bad_leaves else "."),
    ]
    lines += [f"- **{name}: NO**" for name in bad_leaves]
    lines += [
        "",
        f"Over all {len(report.losses)} scenarios: VaR {_usd(report.value_at_risk)}, "
        f"exact ES {_usd(report.expected_shortfall)}; the certificate's bound "
        f"{_usd(bound)} is {_usd(report.expected_shortfall - bound)} below it.",
        "",
        f"Result: {'every number matches to the wei' if report.matches else 'MISMATCH'}.",
    ]
    if png_name:
        lines += ["", f"![loss distribution]({png_name})"]
    return "\n".join(lines) + "\n"


def plot_losses(report: LiquidationReplay, path: Path) -> None:
    """A PNG of the account's loss distribution over all scenarios, VaR and ES marked and
    the witness losses highlighted."""
    plt = pyplot()

    losses = [float(Decimal(loss) / WAD) for loss in report.losses]
    witnesses = [float(Decimal(loss) / WAD) for loss in report.witness_losses]
    figure, axis = plt.subplots(figsize=(8, 4))
    axis.hist(losses, bins=80, color="tab:blue", alpha=0.8, label="scenario losses")
    axis.hist(witnesses, bins=20, color="tab:red", label="witnesses")
    for name, value, style in (
        ("VaR", report.value_at_risk, "--"),
        ("ES", report.expected_shortfall, "-"),
    ):
        usd = float(Decimal(value) / WAD)
        axis.axvline(usd, color="black", linestyle=style, label=f"{name} {usd:,.2f}")
    axis.set_title(f"{report.account[:10]}...: loss per scenario (USD), epoch {report.epoch}")
    axis.legend(loc="upper left", fontsize=8)
    save_figure(figure, path)


def write_report(report: LiquidationReplay, directory: Path) -> list[Path]:
    """Write ``<tx>.json``, ``<tx>.md`` and ``<tx>.png`` into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = report.tx_hash
    png = directory / f"{stem}.png"
    plot_losses(report, png)
    json_path = directory / f"{stem}.json"
    json_path.write_text(report_json(report))
    markdown = directory / f"{stem}.md"
    markdown.write_text(report_markdown(report, png.name))
    return [json_path, markdown, png]
