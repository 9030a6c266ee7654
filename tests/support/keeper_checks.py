"""What the keeper tests do to and check on a crowd's chain (``tests/support/crowd.py``): crash
its price, call Anvil's test methods, and count liquidations and the keeper's transactions.
"""

from collections import Counter
from typing import Any

from support.crowd import Crowd, crash
from vmargin.keeper.screen import screen
from vmargin.keeper.service import KeeperPolicy

TRADERS = 16
SCENARIOS = 100
PROTOCOL_KEEPER = KeeperPolicy(min_profit=None)


def liquidatable_after_crash(crowd: Crowd) -> tuple[set[str], int]:
    """Crash the price: the accounts the screen condemns, and the first block after."""
    block = crash(crowd)
    risks = screen(crowd.deployment, block).risks
    condemned = {risk.account.address for risk in risks if risk.liquidatable}
    assert len(condemned) >= 4
    return condemned, block + 1


def liquidated_once(crowd: Crowd, first: int, condemned: set[str]) -> bool:
    """Every condemned account, and no other, liquidated exactly once from block ``first``."""
    return liquidated_since(crowd, first) == Counter(dict.fromkeys(condemned, 1))


def all_succeeded_with_gapless_nonces(crowd: Crowd, sender: str, first: int, count: int) -> bool:
    """``sender`` got exactly ``count`` transactions mined from block ``first``, nonces 0 to
    ``count - 1``, none failed."""
    transactions = transactions_from(crowd, sender, first)
    return sorted(t["nonce"] for t in transactions) == list(range(count)) and all(
        t["status"] == 1 for t in transactions
    )


def liquidated_since(crowd: Crowd, block: int) -> Counter[str]:
    """How many times each account was liquidated from block ``block`` on."""
    if block > crowd.deployment.chain.w3.eth.block_number:
        return Counter()
    logs = crowd.deployment.clearinghouse.events.Liquidated().get_logs(from_block=block)
    return Counter(log["args"]["account"] for log in logs)


def transactions_from(crowd: Crowd, sender: str, first: int) -> list[dict[str, Any]]:
    """Every transaction ``sender`` got mined from block ``first`` on, with its receipt's
    status."""
    w3 = crowd.deployment.chain.w3
    found = []
    for number in range(first, w3.eth.block_number + 1):
        for transaction in w3.eth.get_block(number, full_transactions=True)["transactions"]:
            assert not isinstance(transaction, bytes)  # a whole transaction, not its hash
            if transaction["from"] == sender:
                receipt = w3.eth.get_transaction_receipt(transaction["hash"])
                found.append({"nonce": transaction["nonce"], "status": receipt["status"]})
    return found


def of(actions: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """The reported actions named ``name``."""
    return [action for action in actions if action["action"] == name]
