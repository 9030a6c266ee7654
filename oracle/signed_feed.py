"""BLS-signed price reports: the message a committee of operators signs, as
``SignedPriceFeed`` hashes it (``contracts/SignedPriceFeed.sol``), and pushing a signed
round to the feed.

A report states a price as the feed's integer answer (quote units per asset unit, in the
feed's ``decimals``), observed at a timestamp (unix seconds), for one round (1, 2, ...) of
one feed on one chain. The digest is keccak256 of ``abi.encode(tag, feed, report)``: a
report signed for another feed does not verify, and one for another chain is refused by
name before its signature is checked.
"""

from collections.abc import Mapping
from dataclasses import astuple, dataclass
from decimal import Decimal

from eth_abi import encode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3.contract import Contract
from web3.types import TxReceipt

from vmargin.chain.client import Chain
from vmargin.oracle.feeds import feed_answer
from vmargin.proofs.bls import BlsKey
from vmargin.proofs.quorum import QuorumSignature, quorum_signature

REPORT_TAG = keccak(text="vmargin.SignedPriceFeed.PriceReport")
REPORT_TYPE = "(uint256,int256,uint64,uint80)"


@dataclass(frozen=True)
class PriceReport:
    """``SignedPriceFeed.PriceReport``, field for field: ``price`` is the integer answer in
    the feed's decimals, ``timestamp`` unix seconds, ``round`` the feed's next round id."""

    chain_id: int
    price: int
    timestamp: int
    round: int

    def as_abi(self) -> tuple:
        """The struct as web3 encodes it."""
        return astuple(self)


def report_digest(feed_address: str, report: PriceReport) -> bytes:
    """``SignedPriceFeed.reportDigest``: what the committee signs for ``report`` on the
    feed at ``feed_address``."""
    return keccak(
        encode(["bytes32", "address", REPORT_TYPE], [REPORT_TAG, feed_address, report.as_abi()])
    )


def signed_report(
    keys: Mapping[int, BlsKey],
    *,
    chain_id: int,
    feed_address: str,
    price: Decimal,
    decimals: int,
    timestamp: int,
    round: int,
) -> tuple[PriceReport, QuorumSignature]:
    """The report of ``price`` (quote units, a ``Decimal`` exact at the feed's ``decimals``,
    else ``ValueError``; positive) observed at ``timestamp`` (unix seconds) as round
    ``round`` of the feed at ``feed_address`` on ``chain_id``, and the quorum signature of
    the operators ``keys`` (by operator index) on it."""
    report = PriceReport(chain_id, feed_answer(price, decimals), timestamp, round)
    return report, quorum_signature(keys, report_digest(feed_address, report))


def push_signed_price(
    chain: Chain,
    sender: LocalAccount,
    feed_contract: Contract,
    report: PriceReport,
    quorum: QuorumSignature,
) -> TxReceipt:
    """Submit ``report`` with its ``quorum`` signature to ``feed_contract`` from ``sender``
    (anyone); a refusal raises ``TransactionReverted`` naming the feed's or the registry's
    error."""
    return chain.transact(sender, feed_contract.functions.submit(report.as_abi(), quorum.as_abi()))
