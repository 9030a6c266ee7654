// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {SignedMath} from "@openzeppelin/contracts/utils/math/SignedMath.sol";

import {IClearinghouse} from "../interfaces/IClearinghouse.sol";
import {FixedPointMath} from "./FixedPointMath.sol";

/// @title PositionAccounting
/// @notice The accounting of positions (a perp per asset, an option per series): the
/// funding and socialized losses a position owes since its snapshots of its market's
/// indices, fills that grow or reduce it, realizing PnL on a reduction, and the booking of
/// a fill into an account of the clearinghouse's `Ledger` (cash, open interest, the count
/// of open positions and the list of held series), with its events. All amounts are WAD
/// signed integers.
/// @dev Internal functions: compiled into the `Clearinghouse` (trades, settlement) and into
/// `LiquidationLogic` (liquidation). Off-chain twin: `charges` and `fill` of
/// `offchain/portfolio.py`.
library PositionAccounting {
    using FixedPointMath for int256;

    int256 internal constant WAD = 1e18;
    /// @notice At most this many option series open per account but the backstop (bounds
    /// every loop over an account's options).
    uint256 internal constant MAX_OPTION_POSITIONS = 16;

    // ---------------------------------------------------------------- one position

    /// @notice What `p` owes since its snapshots (negative = receives): funding
    /// size * (F - F0) / WAD and socialized loss |size| * (L - L0) / WAD, each rounded up.
    /// @param p The position.
    /// @param fundingIndex The market's funding index now (0 for an option, which pays none).
    /// @param lossIndex The market's socialized-loss index now.
    /// @return The charge (WAD).
    function charges(IClearinghouse.Position storage p, int256 fundingIndex, int256 lossIndex)
        internal
        view
        returns (int256)
    {
        int256 size = p.size;
        if (size == 0) return 0;
        return size.mulDiv(fundingIndex - p.fundingIndex, WAD, Math.Rounding.Ceil)
            + abs(size).mulDiv(lossIndex - p.lossIndex, WAD, Math.Rounding.Ceil);
    }

    /// @notice Add `size` at total `cost` to `p`. The part of `size` that reduces the
    /// position realizes: its proceeds (its share of `cost`, rounded toward zero, on a flip)
    /// less the closed share of the cost basis (rounded toward zero; all of it when the
    /// position closes or flips). The rest of `cost` adds to the basis.
    /// @param p The position.
    /// @param size The signed size added (WAD, > 0 buys).
    /// @param cost The signed total cost of `size` (WAD, quote units).
    /// @return reduced Whether the fill reduced the position (and so realized `pnl`).
    /// @return pnl The realized PnL, for the owner's cash (WAD; 0 unless `reduced`).
    function fill(IClearinghouse.Position storage p, int256 size, int256 cost)
        internal
        returns (bool reduced, int256 pnl)
    {
        int256 before = p.size;
        int256 after_ = before + size;
        p.size = after_;
        if (before == 0 || (before > 0) == (size > 0)) {
            p.costBasis += cost;
            return (false, 0);
        }
        bool flips = after_ != 0 && (after_ > 0) != (before > 0);
        int256 closedCost = flips ? cost.mulDiv(-before, size, Math.Rounding.Trunc) : cost;
        int256 closedBasis = after_ == 0 || flips
            ? p.costBasis
            : p.costBasis.mulDiv(-size, before, Math.Rounding.Trunc);
        pnl = -closedCost - closedBasis;
        p.costBasis += cost - closedCost - closedBasis;
        reduced = true;
    }

    /// @notice The part of a position of `size` that a liquidation of `fraction` closes:
    /// size * fraction / WAD rounded toward zero, all of it at fraction 1.
    /// @param size The position's size (WAD).
    /// @param fraction The fraction closed (WAD, in (0, 1e18]).
    /// @return The size closed (WAD, the sign of `size`).
    function closedPart(int256 size, int256 fraction) internal pure returns (int256) {
        return fraction == WAD ? size : size.mulDiv(fraction, WAD, Math.Rounding.Trunc);
    }

    /// @notice |x| as int256 (reverts for type(int256).min).
    /// @param x Any int256 but the smallest.
    /// @return |x|.
    function abs(int256 x) internal pure returns (int256) {
        return SafeCast.toInt256(SignedMath.abs(x));
    }

    // ---------------------------------------------------------------- an account's positions

    /// @notice `account`'s perp in asset `id` (`isOption` false) or its position in option
    /// series `id`.
    /// @param l The ledger.
    /// @param account The account.
    /// @param id The asset of a perp, the series of an option.
    /// @param isOption Whether the position is an option.
    /// @return The position.
    function position(IClearinghouse.Ledger storage l, address account, uint256 id, bool isOption)
        internal
        view
        returns (IClearinghouse.Position storage)
    {
        return isOption ? l.optionPositions[account][id] : l.positions[account][id];
    }

    /// @notice Add `size` at total `cost` to `account`'s perp in `id` (`isOption` false, `id`
    /// = `asset`) or its position in option series `id` on `asset`. The charges the position
    /// owes settle into cash first (`ChargesSettled`; an option pays its underlying market's
    /// socialized losses, not funding), then the fill, whose reduction realizes PnL into
    /// cash (`PnlRealized`); the market's open interest follows the absolute size. An opened
    /// option series joins the account's held list (at most MAX_OPTION_POSITIONS, except for
    /// the backstop: it takes over every liquidated series, so a cap would block
    /// liquidations); a closed one leaves it, the others keeping their order.
    /// @param l The ledger.
    /// @param account The account.
    /// @param id The asset of a perp, the series of an option.
    /// @param isOption Whether the position is an option.
    /// @param asset The market's asset (`id` for a perp, the series' underlying for an option).
    /// @param size The signed size added (WAD, > 0 buys).
    /// @param cost The signed total cost of `size` (WAD, quote units).
    /// @param backstop The backstop account, exempt from the cap on held series.
    /// @return scaledDown Whether the fill moved the position toward zero without flipping
    /// it (its size after is 0 or of the same sign and smaller): a scale-down of this one
    /// position, by the fraction |size| / |size before|.
    function addToPosition(
        IClearinghouse.Ledger storage l,
        address account,
        uint256 id,
        bool isOption,
        uint256 asset,
        int256 size,
        int256 cost,
        address backstop
    ) internal returns (bool scaledDown) {
        IClearinghouse.Position storage p = position(l, account, id, isOption);
        IClearinghouse.Market storage market = l.markets[asset];
        int256 before = p.size;
        _settleCharges(l, account, id, isOption, p, market);
        _fill(l, account, id, isOption, p, size, cost);
        int256 after_ = p.size;
        int256 change = abs(after_) - abs(before);
        market.openInterest += change;
        scaledDown = change < 0 && (after_ == 0 || (after_ > 0) == (before > 0));
        if (before == 0) _opened(l, account, id, isOption, backstop);
        if (after_ == 0) _closed(l, account, id, isOption);
    }

    /// @dev Settle what `p` owes into `account`'s cash and move its snapshots to the
    /// market's indices now.
    function _settleCharges(
        IClearinghouse.Ledger storage l,
        address account,
        uint256 id,
        bool isOption,
        IClearinghouse.Position storage p,
        IClearinghouse.Market storage market
    ) private {
        int256 fundingIndex = isOption ? int256(0) : market.fundingIndex;
        int256 lossIndex = market.lossIndex;
        int256 charge = charges(p, fundingIndex, lossIndex);
        p.fundingIndex = fundingIndex;
        p.lossIndex = lossIndex;
        if (charge == 0) return;
        l.cash[account] -= charge;
        emit IClearinghouse.ChargesSettled(account, id, isOption, charge);
    }

    /// @dev Fill `size` at `cost` into `p`, realizing the PnL of a reduction into cash.
    function _fill(
        IClearinghouse.Ledger storage l,
        address account,
        uint256 id,
        bool isOption,
        IClearinghouse.Position storage p,
        int256 size,
        int256 cost
    ) private {
        (bool reduced, int256 pnl) = fill(p, size, cost);
        if (!reduced) return;
        l.cash[account] += pnl;
        emit IClearinghouse.PnlRealized(account, id, isOption, pnl);
    }

    /// @dev `account` opened a position: count it; an option series also joins its list.
    function _opened(
        IClearinghouse.Ledger storage l,
        address account,
        uint256 id,
        bool isOption,
        address backstop
    ) private {
        if (isOption) {
            uint256[] storage held = l.heldSeries[account];
            if (account != backstop && held.length == MAX_OPTION_POSITIONS) {
                revert IClearinghouse.TooManyOptionPositions(account, MAX_OPTION_POSITIONS);
            }
            held.push(id);
        }
        l.openPositionCount[account] += 1;
    }

    /// @dev `account` closed a position: uncount it; an option series leaves its list, the
    /// others keeping their order.
    function _closed(IClearinghouse.Ledger storage l, address account, uint256 id, bool isOption)
        private
    {
        l.openPositionCount[account] -= 1;
        if (!isOption) return;
        uint256[] storage held = l.heldSeries[account];
        uint256 last = held.length - 1;
        uint256 i;
        while (held[i] != id) ++i;
        for (; i < last; ++i) {
            held[i] = held[i + 1];
        }
        held.pop();
    }
}
