"""A scenario set in WAD integers.

A scenario is one simple spot return and one implied-vol shift per asset, as WAD
integers, in the registry's asset order. Sets are built in floats by
``oracle/scenario_methods.py`` and quantized once by ``oracle/scenario_file.py``.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vmargin.errors import InputError
from vmargin.numerics.expected_shortfall import tail_weight
from vmargin.proofs.scenario_commitment import check_scenario_domain


@dataclass(kw_only=True, frozen=True)
class ScenarioSet:
    """N scenarios over ``assets``, one WAD spot return and one WAD vol shift per asset
    each, with ES level alpha; the method that built them with every parameter it used,
    and which scenarios are added stress scenarios (default: none)."""

    assets: tuple[str, ...]
    alpha_bps: int
    spot_returns: tuple[tuple[int, ...], ...]
    vol_shifts: tuple[tuple[int, ...], ...]
    description: str
    method: str = "historical"
    parameters: Mapping[str, Any] = field(default_factory=dict)
    stress: tuple[bool, ...] = ()

    def __post_init__(self) -> None:
        if not self.stress:
            object.__setattr__(self, "stress", (False,) * len(self.spot_returns))
        if len(self.stress) != len(self.spot_returns):
            raise InputError(
                f"{len(self.spot_returns)} scenarios but {len(self.stress)} stress flags"
            )
        tail_weight(len(self.spot_returns), self.alpha_bps)
        if len(self.vol_shifts) != len(self.spot_returns):
            raise InputError(
                f"{len(self.spot_returns)} scenarios but {len(self.vol_shifts)} rows of vol shifts"
            )
        for index, (returns, shifts) in enumerate(
            zip(self.spot_returns, self.vol_shifts, strict=True)
        ):
            if len(returns) != len(self.assets) or len(shifts) != len(self.assets):
                raise InputError(
                    f"scenario {index} has {len(returns)} returns and {len(shifts)} vol shifts "
                    f"for {len(self.assets)} assets"
                )
            check_scenario_domain(index, returns, shifts)

    @property
    def n(self) -> int:
        """The number of scenarios."""
        return len(self.spot_returns)
