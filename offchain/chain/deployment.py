"""Deploying the vmargin contracts on a chain, wired together.

One mock stablecoin (6 decimals), two Chainlink-style mock aggregators per asset
(8 decimals: spot price and annualized implied vol), the oracle adapter, the
scenario registry and the clearinghouse (which deploys its margin engine and its option
series registry). The owner deploys and configures everything and is the feeds' writer.
"""

from dataclasses import dataclass, replace

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils import is_checksum_address, is_hex_address, to_checksum_address
from web3.contract import Contract

from vmargin.chain.client import Chain
from vmargin.errors import InputError
from vmargin.numerics.fixedpoint import WAD

FEED_DECIMALS = 8
STABLECOIN_DECIMALS = 6


class AddressError(InputError):
    """An address a user gave is not one, or holds no contract where one is needed."""


def checksum_address(text: str, what: str) -> ChecksumAddress:
    """``text`` (40 hex digits, in one case or with a valid EIP-55 checksum) as a checksum
    address; AddressError naming ``what`` otherwise."""
    digits = str(text).removeprefix("0x")
    mixed_case = digits not in (digits.lower(), digits.upper())
    if not is_hex_address(text) or (mixed_case and not is_checksum_address(text)):
        raise AddressError(
            f"{what} {text!r} is not an address (40 hex digits, in one case or checksummed)"
        )
    return to_checksum_address(text)


def contract_at(chain: Chain, name: str, address: str) -> Contract:
    """The project contract ``name`` at the ``address`` a user gave; AddressError unless it
    is an address that holds code."""
    checked = checksum_address(address, name)
    if not chain.w3.eth.get_code(checked):
        raise AddressError(f"{name} {checked}: no contract there on chain {chain.chain_id}")
    return chain.contract(name, checked)


@dataclass(frozen=True)
class RiskParameters:
    """Clearinghouse parameters, WAD: MM = maintenance_margin_factor * max(ES, 0); the
    liquidation penalty is a fraction of closed notional, of which keeper_share goes to the
    keeper."""

    maintenance_margin_factor: int = WAD
    liquidation_penalty: int = WAD // 100
    keeper_share: int = WAD // 2


@dataclass(kw_only=True, frozen=True)
class Deployment:
    """The deployed contracts; asset i of the oracle is ``assets[i]``; ``series_registry``
    is the clearinghouse's option series registry (the clearinghouse's owner lists series
    there); ``backstop`` the account that takes over liquidated positions, which is never
    liquidated itself (``Clearinghouse.backstop``, immutable)."""

    chain: Chain
    assets: tuple[str, ...]
    stablecoin: Contract
    aggregators: tuple[Contract, ...]
    volatility_aggregators: tuple[Contract, ...]
    oracle: Contract
    registry: Contract
    clearinghouse: Contract
    series_registry: Contract
    backstop: ChecksumAddress
    start_block: int


def deploy_vmargin(
    chain: Chain,
    owner: LocalAccount,
    *,
    backstop: str,
    assets: tuple[str, ...],
    risk: RiskParameters,
    heartbeat: int = 3600,
) -> Deployment:
    """Deploy and wire the contracts; ``backstop`` takes over liquidated positions. The
    deployment is read back from the chain as ``attach`` reads it, from ``start_block``."""
    start_block = chain.w3.eth.block_number
    stablecoin = chain.deploy(
        owner, "MockToken", owner.address, "Mock USD Coin", "mUSDC", STABLECOIN_DECIMALS
    )
    oracle = chain.deploy(owner, "OracleAdapter", owner.address)
    for asset_number, asset in enumerate(assets):
        aggregator = chain.deploy(
            owner, "MockAggregator", owner.address, FEED_DECIMALS, f"{asset} / USD"
        )
        chain.transact(owner, oracle.functions.setFeed(asset_number, aggregator.address, heartbeat))
        volatility = chain.deploy(
            owner, "MockAggregator", owner.address, FEED_DECIMALS, f"{asset} implied vol"
        )
        chain.transact(
            owner, oracle.functions.setVolatilityFeed(asset_number, volatility.address, heartbeat)
        )
    registry = chain.deploy(owner, "ScenarioRegistry", owner.address)
    clearinghouse = chain.deploy(
        owner,
        "Clearinghouse",
        owner.address,
        stablecoin.address,
        oracle.address,
        registry.address,
        backstop,
    )
    chain.transact(
        owner,
        clearinghouse.functions.setRiskParameters(
            risk.maintenance_margin_factor, risk.liquidation_penalty, risk.keeper_share
        ),
    )
    return replace(attach(chain, clearinghouse.address), start_block=start_block)


def attach(chain: Chain, clearinghouse_address: str) -> Deployment:
    """The deployment around the clearinghouse at ``clearinghouse_address``, found from the
    chain alone: its oracle, engine, registries, stablecoin and feeds. Asset names are the
    spot feeds' descriptions up to " / " ("ETH / USD" -> "ETH"); events are read from block
    0. AddressError if ``clearinghouse_address`` is not an address holding code."""
    clearinghouse = contract_at(chain, "Clearinghouse", clearinghouse_address)
    oracle = chain.contract("OracleAdapter", chain.call(clearinghouse.functions.oracle()))
    engine = chain.contract("MarginEngine", chain.call(clearinghouse.functions.engine()))
    registry = chain.contract("ScenarioRegistry", chain.call(engine.functions.registry()))
    stablecoin = chain.contract("MockToken", chain.call(clearinghouse.functions.collateral()))
    aggregators = []
    volatility_aggregators = []
    for asset in range(chain.call(oracle.functions.assetCount())):
        spot, _, _ = chain.call(oracle.functions.feed(asset))
        aggregators.append(chain.contract("MockAggregator", spot))
        volatility, _, _ = chain.call(oracle.functions.volatilityFeed(asset))
        volatility_aggregators.append(chain.contract("MockAggregator", volatility))
    assets = tuple(
        chain.call(aggregator.functions.description()).split(" / ")[0] for aggregator in aggregators
    )
    return Deployment(
        chain=chain,
        assets=assets,
        stablecoin=stablecoin,
        aggregators=tuple(aggregators),
        volatility_aggregators=tuple(volatility_aggregators),
        oracle=oracle,
        registry=registry,
        clearinghouse=clearinghouse,
        series_registry=series_registry(chain, clearinghouse),
        backstop=chain.call(clearinghouse.functions.backstop()),
        start_block=0,
    )


def series_registry(chain: Chain, clearinghouse: Contract) -> Contract:
    """The option series registry that ``clearinghouse`` deployed."""
    return chain.contract("SeriesRegistry", chain.call(clearinghouse.functions.seriesRegistry()))


def mint_and_deposit(
    deployment: Deployment, owner: LocalAccount, who: LocalAccount, usdc: int
) -> None:
    """Mint ``usdc`` whole mock-stablecoin units to ``who`` (the owner mints) and deposit
    them into ``who``'s clearinghouse account."""
    chain = deployment.chain
    amount = usdc * 10**STABLECOIN_DECIMALS
    chain.transact(owner, deployment.stablecoin.functions.mint(who.address, amount))
    chain.transact(
        who, deployment.stablecoin.functions.approve(deployment.clearinghouse.address, amount)
    )
    chain.transact(who, deployment.clearinghouse.functions.deposit(amount))


def add_spot_collateral(
    deployment: Deployment, owner: LocalAccount, asset: int, haircut: int
) -> Contract:
    """Deploy an 18-decimal mock token for oracle asset ``asset`` (a wrapped-ETH-like
    stand-in) and accept it as spot collateral at ``haircut`` (WAD); returns the token."""
    chain = deployment.chain
    name = deployment.assets[asset]
    token = chain.deploy(owner, "MockToken", owner.address, f"Mock Wrapped {name}", f"mW{name}", 18)
    chain.transact(
        owner, deployment.clearinghouse.functions.setCollateralAsset(asset, token.address, haircut)
    )
    return token


def mint_and_deposit_collateral(
    deployment: Deployment,
    owner: LocalAccount,
    who: LocalAccount,
    *,
    token: Contract,
    asset: int,
    units: int,
) -> None:
    """Mint ``units`` (WAD) of spot collateral ``token`` to ``who`` and deposit them as
    ``asset``'s collateral into ``who``'s clearinghouse account."""
    chain = deployment.chain
    chain.transact(owner, token.functions.mint(who.address, units))
    chain.transact(who, token.functions.approve(deployment.clearinghouse.address, units))
    chain.transact(who, deployment.clearinghouse.functions.depositCollateral(asset, units))
