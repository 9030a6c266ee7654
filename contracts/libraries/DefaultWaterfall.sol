// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SignedMath} from "@openzeppelin/contracts/utils/math/SignedMath.sol";

import {IClearinghouse} from "../interfaces/IClearinghouse.sol";
import {OracleAdapter} from "../OracleAdapter.sol";
import {FixedPointMath} from "./FixedPointMath.sol";

/// @title DefaultWaterfall
/// @notice Where the loss of a fully liquidated account with negative cash goes, step by
/// step, on the clearinghouse's `Ledger`: (1) its spot collateral is sold to the backstop at
/// the haircut mark; (2) what is still unpaid, its bad debt, is written off the account and
/// paid by the insurance fund as far as the fund goes; (3) the rest is socialized over the
/// markets the account held, in proportion to the absolute size closed in each, as a charge
/// per unit of open interest; a market with no open interest left, or an account that
/// closed nothing, leaves its share to the backstop account. Each step emits its
/// `IClearinghouse` event. All amounts are WAD signed integers; see docs/protocol.md.
/// @dev Internal functions: compiled into `LiquidationLogic` (and `haircutUnits` into the
/// `Clearinghouse`, which values collateral with it).
library DefaultWaterfall {
    using FixedPointMath for int256;

    int256 internal constant WAD = 1e18;
    /// @notice The market of a bad debt that no market can share.
    uint256 internal constant NO_MARKET = type(uint256).max;

    /// @notice `balance` units of spot collateral less `haircut`: balance * (1 - haircut) /
    /// WAD, rounded down.
    /// @param balance The collateral balance (WAD units of the asset).
    /// @param haircut The haircut (WAD fraction of the mark not counted).
    /// @return The units counted (WAD).
    function haircutUnits(int256 balance, int256 haircut) internal pure returns (int256) {
        if (balance == 0) return 0;
        return balance.mulWad(WAD - haircut, Math.Rounding.Floor);
    }

    /// @notice Step 1: `account`'s spot collateral goes to `backstop`, which pays the
    /// haircut mark (rounded down) for it in cash. Balances move between accounts:
    /// `totalCollateral` is unchanged.
    /// @param l The ledger.
    /// @param oracle The oracle whose spot marks price the collateral.
    /// @param assets The oracle's asset count.
    /// @param account The liquidated account.
    /// @param backstop The account that buys the collateral.
    function seizeCollateral(
        IClearinghouse.Ledger storage l,
        OracleAdapter oracle,
        uint256 assets,
        address account,
        address backstop
    ) internal {
        for (uint256 asset; asset < assets; ++asset) {
            int256 amount = l.collateralBalance[account][asset];
            if (amount == 0) continue;
            int256 price = oracle.price(asset);
            int256 value = haircutUnits(amount, l.collateralAssets[asset].haircut)
                .mulWad(price, Math.Rounding.Floor);
            l.collateralBalance[account][asset] = 0;
            l.collateralBalance[backstop][asset] += amount;
            l.cash[account] += value;
            l.cash[backstop] -= value;
            emit IClearinghouse.CollateralSeized(account, asset, amount, price, value);
        }
    }

    /// @notice Steps 2 and 3 for a flat `account` with negative cash: the bad debt is
    /// written off the account, paid by the insurance fund as far as it goes, and the rest
    /// socialized over the markets in proportion to `closedSize` (each market's share
    /// rounded down, the last one taking what is left); what no market can take goes to
    /// `backstop`.
    /// @param l The ledger.
    /// @param account The account, flat, with negative cash.
    /// @param backstop The account of last resort.
    /// @param closedSize The absolute size the liquidation closed per asset (WAD units).
    function absorbBadDebt(
        IClearinghouse.Ledger storage l,
        address account,
        address backstop,
        int256[] memory closedSize
    ) internal {
        int256 badDebt = -l.cash[account];
        l.cash[account] = 0;
        emit IClearinghouse.BadDebt(account, badDebt);
        int256 covered = SignedMath.min(badDebt, SignedMath.max(l.insuranceFund, 0));
        if (covered > 0) {
            l.insuranceFund -= covered;
            emit IClearinghouse.BadDebtCoveredByInsurance(account, covered, l.insuranceFund);
        }
        int256 rest = badDebt - covered;
        if (rest == 0) return;
        // slither-disable-next-line uninitialized-local
        int256 totalSize;
        // slither-disable-next-line uninitialized-local
        uint256 lastAsset;
        for (uint256 asset; asset < closedSize.length; ++asset) {
            totalSize += closedSize[asset];
            if (closedSize[asset] != 0) lastAsset = asset;
        }
        if (totalSize == 0) {
            // The account held nothing to close (its debt came from a risk-reducing trade):
            // no market to share the loss.
            _absorbByBackstop(l, account, backstop, NO_MARKET, rest);
            return;
        }
        int256 remaining = rest;
        for (uint256 asset; asset <= lastAsset; ++asset) {
            if (closedSize[asset] == 0) continue;
            int256 share = asset == lastAsset
                ? remaining
                : rest.mulDiv(closedSize[asset], totalSize, Math.Rounding.Floor);
            remaining -= share;
            _socialize(l, account, backstop, asset, share);
        }
    }

    /// @dev Charge `amount` to every position on `asset` per unit of absolute size (the
    /// index moves up by amount / open interest, rounded up); with no open interest left the
    /// backstop account absorbs it.
    function _socialize(
        IClearinghouse.Ledger storage l,
        address account,
        address backstop,
        uint256 asset,
        int256 amount
    ) private {
        if (amount == 0) return;
        IClearinghouse.Market storage market = l.markets[asset];
        if (market.openInterest == 0) {
            _absorbByBackstop(l, account, backstop, asset, amount);
            return;
        }
        market.lossIndex += amount.mulDiv(WAD, market.openInterest, Math.Rounding.Ceil);
        emit IClearinghouse.LossSocialized(
            account, asset, amount, market.openInterest, market.lossIndex
        );
    }

    /// @dev The last resort: the backstop absorbs `amount` of `account`'s bad debt on
    /// `asset` (NO_MARKET: none).
    function _absorbByBackstop(
        IClearinghouse.Ledger storage l,
        address account,
        address backstop,
        uint256 asset,
        int256 amount
    ) private {
        l.cash[backstop] -= amount;
        emit IClearinghouse.BadDebtAbsorbedByBackstop(account, asset, amount);
    }
}
