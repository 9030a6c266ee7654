"""A crowd of leveraged perp accounts on a fresh Anvil node, for keeper tests and the
keeper benchmark.

Deploys vmargin with one ETH market, posts the demo's historical ETH scenario set, and
opens ``size`` one-ETH longs against a market maker at the last historical close, with
collateral spread evenly from ``LOWEST_COLLATERAL`` to ``HIGHEST_COLLATERAL`` USD: a 25%
crash then leaves the thinnest accounts insolvent, the next ones liquidatable with a
reward, and the rest healthy. Trader keys are derived from their index and funded with
``anvil_setBalance``, so a crowd is not limited to Anvil's ten default accounts.

Each trader's stablecoin is minted and deposited, and its long settled through
``Clearinghouse.settleTrade`` with both sides' margin certificates, as
``offchain/settlement.py`` does; but so that a thousand accounts open in minutes rather
than an hour at N = 1,000, nothing is read back between trades. The market maker's account
is read once and carried forward in Python with the contract's arithmetic
(``after_perp_trade``); every long has the same scenario losses (cash does not move them),
hence the same certificate; and since the margin certificates of one scenario set differ
only in their threshold, the certificate is ABI-encoded once and each settlement's
calldata laid out around it (checked once against web3's encoding). Transactions are
signed with nonces counted locally and fixed gas limits (a settlement's: its first
estimate plus a fifth) and sent one after the other without waiting for receipts, all
checked at the end. Anvil mines each in its own block as it arrives, so the deposits'
small blocks keep the base fee down between the settlements' (~19 M gas at N = 1,000,
above the 15 M target).
"""

import time
from dataclasses import dataclass, replace
from decimal import Decimal

from eth_abi import encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr
from eth_utils import function_signature_to_4byte_selector, keccak
from hexbytes import HexBytes

from vmargin.chain.client import (
    GAS_BUFFER_DIVISOR,
    Chain,
    Fees,
    TransactionReverted,
    anvil_accounts,
)
from vmargin.chain.deployment import Deployment, mint_and_deposit
from vmargin.chain.reads import read_account, read_marks
from vmargin.chain.scenario_registry import PublishedScenarioSet, read_scenario_set
from vmargin.cli.demo import CRASH, open_eth_market
from vmargin.numerics.fixedpoint import WAD, Rounding, mul_wad
from vmargin.numerics.portfolio import Account as MarginAccount
from vmargin.numerics.portfolio import scenario_losses
from vmargin.oracle.feeds import push_price
from vmargin.proofs.certificate import MarginCertificate, margin_certificate
from vmargin.settlement import after_perp_trade

LOWEST_COLLATERAL = 860
HIGHEST_COLLATERAL = 2_600
MARKET_MAKER_COLLATERAL_PER_TRADER = 10_000
TRADER_GAS_MONEY = 10**20  # 100 ETH of test ether, wei

ETH = 0  # the crowd's only asset
DEPOSIT_GAS = 100_000  # gas limit of a mint, an approval or a deposit (each uses < 60 k)
RECEIPT_TIMEOUT = 120.0  # seconds to wait for the last receipts

MARGIN_CERTIFICATE = "(uint64,int256,uint256[],int256[][],int256[][])"
SETTLE_TRADE_SELECTOR = function_signature_to_4byte_selector(
    f"settleTrade(address,address,uint256,int256,int256,{MARGIN_CERTIFICATE},{MARGIN_CERTIFICATE})"
)


@dataclass(frozen=True)
class Crowd:
    """The deployment, its owner (the feeds' writer), the keys Anvil funds for keepers, and
    the traders; ``open_price`` is the ETH price the longs were opened at."""

    deployment: Deployment
    owner: LocalAccount
    keepers: tuple[LocalAccount, ...]
    traders: tuple[LocalAccount, ...]
    open_price: Decimal


def trader_key(index: int) -> LocalAccount:
    """The key of trader ``index``: derived from its index, the same on every run."""
    return Account.from_key(keccak(text=f"vmargin crowd trader {index}"))


def trader_collateral(index: int, size: int) -> int:
    """Trader ``index``'s deposit in whole USD: evenly spread over the crowd."""
    spread = (HIGHEST_COLLATERAL - LOWEST_COLLATERAL) * index // max(size - 1, 1)
    return LOWEST_COLLATERAL + spread


def open_crowd(rpc_url: str, size: int, scenario_count: int) -> Crowd:
    """Deploy and open ``size`` long accounts (see the module docstring) on the fresh node
    at ``rpc_url`` (its first 10 accounts funded), with the last ``scenario_count`` daily
    ETH returns as the scenario set."""
    chain = Chain.connect(rpc_url)
    owner, backstop, settler, market_maker, *keepers = anvil_accounts(10)
    deployment, _, epoch, open_price = open_eth_market(
        chain, owner, backstop, settler, scenario_count
    )
    mint_and_deposit(deployment, owner, backstop, MARKET_MAKER_COLLATERAL_PER_TRADER)
    mint_and_deposit(deployment, owner, market_maker, MARKET_MAKER_COLLATERAL_PER_TRADER * size)
    published = read_scenario_set(chain, deployment.registry, epoch)
    traders = tuple(trader_key(index) for index in range(size))
    open_longs(
        deployment,
        owner,
        settler,
        market_maker=market_maker,
        scenarios=published,
        traders=traders,
        price=int(open_price.scaleb(18)),
    )
    return Crowd(
        deployment=deployment,
        owner=owner,
        keepers=tuple(keepers),
        traders=traders,
        open_price=open_price,
    )


def open_longs(
    deployment: Deployment,
    owner: LocalAccount,
    settler: LocalAccount,
    *,
    market_maker: LocalAccount,
    scenarios: PublishedScenarioSet,
    traders: tuple[LocalAccount, ...],
    price: int,
) -> None:
    """Fund each trader, deposit its collateral and settle its one-ETH long from
    ``market_maker`` at ``price`` (WAD) with margin certificates (see the module docstring);
    raise TransactionReverted if any transaction failed."""
    chain, clearinghouse = deployment.chain, deployment.clearinghouse
    stablecoin = deployment.stablecoin
    block = chain.w3.eth.block_number
    maker = read_account(deployment, market_maker.address, block)
    cost = mul_wad(WAD, price, Rounding.CEIL)
    # Every long after its trade: its cash does not move its scenario losses or certificate.
    long = after_perp_trade(replace(maker, cash=0, positions={}), ETH, WAD, cost)
    marks = read_marks(deployment, long, block)
    alpha_bps = chain.call(clearinghouse.functions.initialMarginAlphaBps(), block)

    def certificate(account: MarginAccount) -> MarginCertificate:
        losses = scenario_losses(account, marks, scenarios.spot_returns, scenarios.vol_shifts)
        return margin_certificate(scenarios.epoch, scenarios.tree, losses, alpha_bps)

    long_margin = encode_certificate(certificate(long))
    nonces = fund(chain, traders)
    owner_nonce, settler_nonce = (
        chain.w3.eth.get_transaction_count(key.address, "pending") for key in (owner, settler)
    )
    settle_gas = 0
    sent = []
    for index, trader in enumerate(traders):
        amount = trader_collateral(index, len(traders)) * 10**6
        fees = chain.fees()
        for sender, nonce, contract, function, arguments in (
            (owner, owner_nonce + index, stablecoin, "mint", [trader.address, amount]),
            (trader, nonces[index], stablecoin, "approve", [clearinghouse.address, amount]),
            (trader, nonces[index] + 1, clearinghouse, "deposit", [amount]),
        ):
            data = contract.encode_abi(function, arguments)
            sent.append(
                send(
                    chain,
                    sender,
                    nonce=nonce,
                    to=contract.address,
                    data=data,
                    gas=DEPOSIT_GAS,
                    fees=fees,
                )
            )
        maker = after_perp_trade(maker, ETH, -WAD, -cost)
        maker_certificate = certificate(maker)
        data = settle_trade_calldata(
            trader.address,
            market_maker.address,
            price,
            long_margin,
            with_threshold(long_margin, maker_certificate.threshold),
        )
        if index == 0:  # check the encoding against web3's once, and price the gas
            arguments = [trader.address, market_maker.address, ETH, WAD, price]
            arguments += [certificate(long).as_abi(), maker_certificate.as_abi()]
            if data != HexBytes(clearinghouse.encode_abi("settleTrade", arguments)):
                raise RuntimeError("the crowd's settleTrade calldata differs from web3's")
            estimate = chain.w3.eth.estimate_gas(
                {"from": settler.address, "to": clearinghouse.address, "data": data}
            )
            settle_gas = estimate + estimate // GAS_BUFFER_DIVISOR
        sent.append(
            send(
                chain,
                settler,
                nonce=settler_nonce + index,
                to=clearinghouse.address,
                data=data,
                gas=settle_gas,
                fees=fees,
            )
        )
    check_receipts(chain, sent)


def fund(chain: Chain, traders: tuple[LocalAccount, ...]) -> list[int]:
    """Give every trader ``TRADER_GAS_MONEY`` of test ether (``anvil_setBalance``); returns
    their next nonces."""
    requests = [("anvil_setBalance", [key.address, hex(TRADER_GAS_MONEY)]) for key in traders]
    requests += [("eth_getTransactionCount", [key.address, "pending"]) for key in traders]
    return [int(nonce, 16) for nonce in chain.results(requests)[len(traders) :]]


def encode_certificate(certificate: MarginCertificate) -> bytes:
    """The ABI encoding of ``certificate`` as the dynamic tuple it is in a call."""
    return encode([MARGIN_CERTIFICATE], [certificate.as_abi()])[32:]  # less its offset word


def with_threshold(encoded: bytes, threshold: int) -> bytes:
    """An encoded certificate with its threshold, the tuple's second word, replaced: the
    margin certificates of one scenario set carry the same scenarios, in the same order,
    and differ in nothing else."""
    return encoded[:32] + encode(["int256"], [threshold]) + encoded[64:]


def settle_trade_calldata(
    buyer: str, seller: str, price: int, buyer_margin: bytes, seller_margin: bytes
) -> bytes:
    """``settleTrade`` of one ETH at ``price`` (WAD) with encoded certificates: the head
    holds the five static arguments and the offsets of the two certificates after it.
    (web3, and eth_abi with its value checks, take 0.4 s to encode the whole call with two
    N = 1,000 certificates.)"""
    head = encode(
        ["address", "address", "uint256", "int256", "int256", "uint256", "uint256"],
        [buyer, seller, ETH, WAD, price, 7 * 32, 7 * 32 + len(buyer_margin)],
    )
    return SETTLE_TRADE_SELECTOR + head + buyer_margin + seller_margin


def send(
    chain: Chain,
    sender: LocalAccount,
    *,
    nonce: int,
    to: ChecksumAddress,
    data: HexStr | bytes,
    gas: int,
    fees: Fees,
) -> str:
    """Sign and send a transaction without estimating its gas or waiting for its receipt;
    returns its hash."""
    signed = chain.sign(sender, nonce=nonce, to=to, data=data, gas=gas, fees=fees)
    return chain.w3.eth.send_raw_transaction(signed.raw_transaction).to_0x_hex()


def check_receipts(chain: Chain, tx_hashes: list[str]) -> None:
    """Wait up to ``RECEIPT_TIMEOUT`` seconds for every receipt; raise TransactionReverted
    for the first transaction that failed."""
    deadline = time.monotonic() + RECEIPT_TIMEOUT
    pending = tx_hashes
    while pending:
        receipts = chain.results([("eth_getTransactionReceipt", [tx]) for tx in pending])
        for tx, receipt in zip(pending, receipts, strict=True):
            if receipt is not None and int(receipt["status"], 16) != 1:
                raise TransactionReverted("Reverted", {"tx": tx}, "")
        pending = [tx for tx, receipt in zip(pending, receipts, strict=True) if receipt is None]
        if pending and time.monotonic() > deadline:
            raise TimeoutError(f"{len(pending)} transactions unmined, first {pending[0]}")
        if pending:
            time.sleep(0.1)


def crash(crowd: Crowd) -> int:
    """Move the ETH feed down by the demo's crash; returns the block it landed in."""
    receipt = push_price(
        crowd.deployment.chain,
        crowd.owner,
        crowd.deployment.aggregators[ETH],
        crowd.open_price * CRASH,
    )
    return receipt["blockNumber"]
