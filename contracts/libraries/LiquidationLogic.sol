// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SignedMath} from "@openzeppelin/contracts/utils/math/SignedMath.sol";

import {IClearinghouse} from "../interfaces/IClearinghouse.sol";
import {DefaultWaterfall} from "./DefaultWaterfall.sol";
import {FixedPointMath} from "./FixedPointMath.sol";
import {PositionAccounting} from "./PositionAccounting.sol";

/// @title LiquidationLogic
/// @notice What a liquidation does once its certificate has been checked: close a fraction
/// of every position into the backstop at mark, charge the penalty and, for an account left
/// flat in debt, run the default waterfall.
/// @dev An external library: the `Clearinghouse` calls `execute` by DELEGATECALL on its own
/// `Ledger`, so the events are the clearinghouse's and `msg.sender` is the keeper, and this
/// code (with the internal `PositionAccounting` and `DefaultWaterfall` it uses) stays out of
/// the clearinghouse's bytecode, which must keep 4,096 bytes of headroom under EIP-170.
/// Deployed once and linked into the clearinghouse's bytecode; the call costs about 5,300
/// gas per liquidation of a one-perp book in the forge gas snapshots and the demo (a cold
/// account access and the order's encoding).
library LiquidationLogic {
    using FixedPointMath for int256;

    /// @notice Carry out `order` on `l`: close `order.fraction` (rounded toward zero) of
    /// every perp, in asset order, then of every option, in held order, at its mark into the
    /// backstop (`PositionLiquidated`, `OptionPositionLiquidated`); charge the penalty on the
    /// closed notional up to the account's equity, the keeper's (the caller's) share to its
    /// cash and the rest to the insurance fund (`Liquidated`); then, if the account is flat
    /// with negative cash, the default waterfall (`DefaultWaterfall`).
    /// @param l The clearinghouse's ledger.
    /// @param order The liquidation, as `IClearinghouse.LiquidationOrder` describes it.
    function execute(
        IClearinghouse.Ledger storage l,
        IClearinghouse.LiquidationOrder calldata order
    ) external {
        uint256 assets = order.spot.length;
        int256[] memory closedSize = new int256[](assets);
        // slither-disable-next-line uninitialized-local
        int256 notional;
        for (uint256 asset; asset < assets; ++asset) {
            notional += _close(l, order, asset, false, asset, order.spot[asset], closedSize);
        }
        uint256[] memory held = l.heldSeries[order.account];
        for (uint256 i; i < held.length; ++i) {
            notional += _close(
                l, order, held[i], true, order.seriesAssets[i], order.optionValues[i], closedSize
            );
        }
        _chargePenalty(l, order, notional);
        address account = order.account;
        if (l.openPositionCount[account] == 0 && l.cash[account] < 0) {
            DefaultWaterfall.seizeCollateral(l, order.oracle, assets, account, order.backstop);
            if (l.cash[account] < 0) {
                DefaultWaterfall.absorbBadDebt(l, account, order.backstop, closedSize);
            }
        }
    }

    /// @dev Close the order's fraction of the account's perp in `id` (`isOption` false, `id`
    /// = asset) or option series `id` on `asset` at `unitValue` into the backstop, adding the
    /// closed absolute size to `closedSize[asset]`; returns the closed notional
    /// |size * unitValue| / WAD.
    function _close(
        IClearinghouse.Ledger storage l,
        IClearinghouse.LiquidationOrder calldata order,
        uint256 id,
        bool isOption,
        uint256 asset,
        int256 unitValue,
        int256[] memory closedSize
    ) private returns (int256) {
        address account = order.account;
        int256 size = PositionAccounting.closedPart(
            PositionAccounting.position(l, account, id, isOption).size, order.fraction
        );
        if (size == 0) return 0;
        int256 value = size.mulWad(unitValue, Math.Rounding.Floor);
        address backstop = order.backstop;
        // slither-disable-next-line unused-return
        PositionAccounting.addToPosition(l, account, id, isOption, asset, -size, -value, backstop);
        // slither-disable-next-line unused-return
        PositionAccounting.addToPosition(l, backstop, id, isOption, asset, size, value, backstop);
        closedSize[asset] += PositionAccounting.abs(size);
        if (isOption) {
            emit IClearinghouse.OptionPositionLiquidated(account, id, size, unitValue, value);
        } else {
            emit IClearinghouse.PositionLiquidated(account, id, size, unitValue, value);
        }
        return PositionAccounting.abs(value);
    }

    /// @dev Charge the penalty on the closed `notional`, up to the account's equity, split
    /// between the keeper (the caller) and the insurance fund, and emit `Liquidated`.
    function _chargePenalty(
        IClearinghouse.Ledger storage l,
        IClearinghouse.LiquidationOrder calldata order,
        int256 notional
    ) private {
        int256 equity = order.check.equity;
        int256 penalty = order.penalty.mulWad(notional, Math.Rounding.Ceil);
        int256 charged = equity <= 0 ? int256(0) : SignedMath.min(penalty, equity);
        int256 reward = order.keeperShare.mulWad(charged, Math.Rounding.Floor);
        l.cash[order.account] -= charged;
        l.cash[msg.sender] += reward;
        l.insuranceFund += charged - reward;
        emit IClearinghouse.Liquidated(
            order.account,
            msg.sender,
            order.epoch,
            order.fraction,
            equity,
            order.check.expectedShortfallLowerBound,
            order.check.maintenanceMargin,
            reward,
            charged - reward
        );
    }
}
