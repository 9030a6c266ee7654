"""Settling trades with initial-margin certificates, as an authorized settler does.

For each side of a matched trade this computes, in Python, the account as it will be
after the trade (the same cost-basis arithmetic as the contract), every scenario loss
at the current marks, and the margin certificate at the IM level; then it sends the
trade with both certificates. Which sides need one is the contract's account-level rule,
``vmargin.numerics.margin.needs_initial_margin``: a side that scales down its account's
only exposure (its one position, toward zero without flipping, no other position and no
spot collateral) gets the empty certificate; every other side, a flip or a sold hedge
included, gets its margin certificate.
"""

from dataclasses import replace

from eth_account.signers.local import LocalAccount
from web3.types import TxReceipt

from vmargin.chain.deployment import Deployment
from vmargin.chain.reads import read_account, read_marks
from vmargin.chain.scenario_registry import PublishedScenarioSet
from vmargin.numerics.fixedpoint import Rounding, mul_wad
from vmargin.numerics.margin import needs_initial_margin
from vmargin.numerics.option_valuation import OptionSeries
from vmargin.numerics.portfolio import (
    Account,
    OptionPosition,
    Position,
    charges,
    fill,
    scenario_losses,
)
from vmargin.proofs.certificate import NO_MARGIN_CERTIFICATE, MarginCertificate, margin_certificate


def after_perp_trade(account: Account, asset: int, size: int, cost: int) -> Account:
    """``account`` after adding ``size`` of ``asset``'s perp at total ``cost`` (signed): its
    charges settled into cash, then the fill (``PositionAccounting.addToPosition``)."""
    market = account.market(asset)
    before = account.positions.get(asset, Position(0, 0))
    owed = charges(before, market.funding, market.loss)
    before = replace(before, funding_index=market.funding, loss_index=market.loss)
    after, realized = fill(before, size, cost)
    positions = dict(account.positions)
    if after.size == 0:
        positions.pop(asset, None)
    else:
        positions[asset] = after
    return replace(account, cash=account.cash - owed + realized, positions=positions)


def after_option_trade(
    account: Account, series_id: int, series: OptionSeries, size: int, cost: int
) -> Account:
    """``account`` after adding ``size`` options of ``series_id`` at total ``cost`` (signed);
    a new series goes last, a closed one leaves, as in the contract's held list."""
    market = account.market(series.asset)
    options = list(account.options)
    held = [option.series_id for option in options]
    at = held.index(series_id) if series_id in held else len(options)
    before = options[at].position if at < len(options) else Position(0, 0)
    owed = charges(before, 0, market.loss)
    before = replace(before, loss_index=market.loss)
    after, realized = fill(before, size, cost)
    if at == len(options):
        options.append(OptionPosition(series_id, series, after))
    elif after.size == 0:
        del options[at]
    else:
        options[at] = OptionPosition(series_id, series, after)
    return replace(account, cash=account.cash - owed + realized, options=tuple(options))


def side_certificate(
    deployment: Deployment,
    scenarios: PublishedScenarioSet,
    account: Account,
    needs_margin: bool,
    block: int,
) -> MarginCertificate:
    """The certificate one side needs: the margin certificate of ``account`` (the side's
    account after the trade) if it ``needs_margin``, else none."""
    if not needs_margin:
        return NO_MARGIN_CERTIFICATE
    alpha_bps = deployment.chain.call(
        deployment.clearinghouse.functions.initialMarginAlphaBps(), block
    )
    marks = read_marks(deployment, account, block)
    losses = scenario_losses(account, marks, scenarios.spot_returns, scenarios.vol_shifts)
    return margin_certificate(scenarios.epoch, scenarios.tree, losses, alpha_bps)


def settle_perp_trade(
    deployment: Deployment,
    settler: LocalAccount,
    scenarios: PublishedScenarioSet,
    *,
    buyer: str,
    seller: str,
    asset: int,
    size: int,
    price: int,
) -> TxReceipt:
    """Settle ``buyer`` buying ``size`` (WAD) of ``asset`` from ``seller`` at ``price`` with
    the margin certificates the contract asks for."""
    chain = deployment.chain
    block = chain.w3.eth.block_number
    cost = mul_wad(size, price, Rounding.CEIL)
    certificates = []
    for address, signed_size, signed_cost in ((buyer, size, cost), (seller, -size, -cost)):
        account = read_account(deployment, address, block)
        before = account.positions.get(asset, Position(0, 0)).size
        after = after_perp_trade(account, asset, signed_size, signed_cost)
        needs_margin = needs_initial_margin(after, before, before + signed_size)
        certificates.append(side_certificate(deployment, scenarios, after, needs_margin, block))
    return chain.transact(
        settler,
        deployment.clearinghouse.functions.settleTrade(
            buyer, seller, asset, size, price, certificates[0].as_abi(), certificates[1].as_abi()
        ),
    )


def settle_option_trade(
    deployment: Deployment,
    settler: LocalAccount,
    scenarios: PublishedScenarioSet,
    *,
    buyer: str,
    seller: str,
    series_id: int,
    size: int,
    premium: int,
) -> TxReceipt:
    """Settle ``buyer`` buying ``size`` (WAD) options of ``series_id`` from ``seller`` at
    ``premium`` each, with the margin certificates the contract asks for."""
    chain = deployment.chain
    clearinghouse = deployment.clearinghouse
    block = chain.w3.eth.block_number
    asset, strike, expiry, is_call = chain.call(
        deployment.series_registry.functions.series(series_id), block
    )
    series = OptionSeries(asset=asset, strike=strike, expiry=expiry, is_call=is_call)
    cost = mul_wad(size, premium, Rounding.CEIL)
    certificates = []
    for address, signed_size, signed_cost in ((buyer, size, cost), (seller, -size, -cost)):
        account = read_account(deployment, address, block)
        held = {option.series_id: option.position.size for option in account.options}
        before = held.get(series_id, 0)
        after = after_option_trade(account, series_id, series, signed_size, signed_cost)
        needs_margin = needs_initial_margin(after, before, before + signed_size)
        certificates.append(side_certificate(deployment, scenarios, after, needs_margin, block))
    return chain.transact(
        settler,
        clearinghouse.functions.settleOptionTrade(
            buyer,
            seller,
            series_id,
            size,
            premium,
            certificates[0].as_abi(),
            certificates[1].as_abi(),
        ),
    )
