// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IClearinghouse} from "../interfaces/IClearinghouse.sol";
import {IMarginEngine} from "../interfaces/IMarginEngine.sol";
import {MockToken} from "../mocks/MockToken.sol";
import {ClearinghouseFixture} from "./Clearinghouse.t.sol";

/// @notice Partial liquidation and the close-factor rule, the default waterfall, funding,
/// realized PnL and spot collateral, on the fixture of Clearinghouse.t.sol: one asset (ETH
/// at 2000), scenarios whose two worst for a long are -20% (index 3) and -15% (index 6), so
/// a long's certified MM is 0.175 * mark per unit; MM factor 1, penalty 1%, keeper share
/// 50%, IM factor 1 wei (trades pass with any certificate), default close-factor rule
/// (close factor 50%, full below health 0.95 or at most 100 of positions).
contract ClearinghouseAccountingTest is ClearinghouseFixture {
    MockToken internal weth;

    function setUp() public override {
        super.setUp();
        weth = new MockToken(owner, "Mock Wrapped Ether", "mWETH", 18);
    }

    // ------------------------------------------------------------ close factor

    /// @notice Carol, long 1 ETH at 2000 with 340 of cash: equity 340 < MM 350, health
    /// 0.971 >= 0.95 and 2000 of positions: at most half may be closed.
    function test_Liquidate_PartialByDefault_ClosesHalfAtMark() public {
        _openCarol(340e6);
        IMarginEngine.LiquidationCertificate memory cert = _certificate(epoch, _indices(3, 6));
        vm.expectRevert(
            abi.encodeWithSelector(IClearinghouse.FractionAboveCloseFactor.selector, WAD, 0.5e18)
        );
        vm.prank(keeper);
        clearinghouse.liquidate(carol, cert, WAD);

        // Half of 1 ETH at 2000: 1000 closed, penalty 10 (keeper 5, insurance 5); the closed
        // half of the 2000 basis is realized against the 1000 of proceeds (PnL 0).
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.PnlRealized(carol, ETH, false, 0);
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.PositionLiquidated(carol, ETH, 0.5e18, 2000e18, 1000e18);
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.Liquidated(
            carol, keeper, epoch, 0.5e18, 340e18, 350e18, 350e18, 5e18, 5e18
        );
        vm.prank(keeper);
        clearinghouse.liquidate(carol, cert, 0.5e18);

        _assertPosition(carol, 0.5e18, 1000e18, 1);
        assertEq(clearinghouse.cash(carol), 330e18, "carol cash");
        assertEq(clearinghouse.cash(keeper), 5e18, "keeper reward");
        assertEq(clearinghouse.insuranceFund(), 5e18, "insurance fee");
        assertEq(clearinghouse.positionOf(backstop, ETH).size, 0.5e18, "backstop took half");

        // ES is homogeneous: half the position has half the MM (175) < equity 330.
        vm.expectRevert(
            abi.encodeWithSelector(IClearinghouse.AccountHealthy.selector, carol, 330e18, 175e18)
        );
        vm.prank(keeper);
        clearinghouse.liquidate(carol, cert, 0.5e18);
    }

    /// @notice A fraction that does not divide the size closes size * f rounded toward zero.
    function test_Liquidate_PartialFraction_RoundsTowardZero() public {
        _openCarol(340e6);
        vm.prank(keeper);
        clearinghouse.liquidate(carol, _certificate(epoch, _indices(3, 6)), 0.333333333333333333e18);
        assertEq(
            clearinghouse.positionOf(backstop, ETH).size, 0.333333333333333333e18, "closed part"
        );
        assertEq(clearinghouse.positionOf(carol, ETH).size, 0.666666666666666667e18, "carol keeps");
    }

    function test_MaxLiquidationFraction_Rules() public view {
        // Health 0.96 with 1000 of positions: the close factor.
        assertEq(
            clearinghouse.maxLiquidationFraction(_checkOf(96e18, 100e18), 1000e18),
            0.5e18,
            "healthy-ish"
        );
        // Health 0.94 < 0.95: all.
        assertEq(
            clearinghouse.maxLiquidationFraction(_checkOf(94e18, 100e18), 1000e18), WAD, "unhealthy"
        );
        // Negative equity: all.
        assertEq(
            clearinghouse.maxLiquidationFraction(_checkOf(-1, 100e18), 1000e18), WAD, "insolvent"
        );
        // Dust: at most 100 of positions, all.
        assertEq(clearinghouse.maxLiquidationFraction(_checkOf(96e18, 100e18), 100e18), WAD, "dust");
        assertEq(
            clearinghouse.maxLiquidationFraction(_checkOf(96e18, 100e18), 100e18 + 1),
            0.5e18,
            "not dust"
        );
    }

    function test_Liquidate_RevertsOnInvalidFraction() public {
        _setEthPrice(1950e8);
        IMarginEngine.LiquidationCertificate memory cert = _certificate(epoch, _indices(3, 6));
        vm.expectRevert(abi.encodeWithSelector(IClearinghouse.InvalidFraction.selector, int256(0)));
        clearinghouse.liquidate(alice, cert, 0);
        vm.expectRevert(abi.encodeWithSelector(IClearinghouse.InvalidFraction.selector, WAD + 1));
        clearinghouse.liquidate(alice, cert, WAD + 1);
    }

    /// @notice Alice at 1800 has equity -100: only a full liquidation, which sends the bad
    /// debt down the waterfall at once.
    function test_Liquidate_InsolventAccountOnlyInFull() public {
        _setEthPrice(1800e8);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClearinghouse.PartialLiquidationOfInsolventAccount.selector, alice, -100e18
            )
        );
        clearinghouse.liquidate(alice, _certificate(epoch, _indices(3, 6)), 0.5e18);
    }

    // ------------------------------------------------------------ waterfall

    /// @notice Carol, long 1 ETH bought from the backstop itself, crashes to 1800 with 100 of
    /// cash: the backstop takes her long back and is flat, no open interest is left to share
    /// the 100 of bad debt, and the backstop absorbs it.
    function test_Liquidate_BadDebtWithNoOpenInterest_BackstopAbsorbs() public {
        _deposit(carol, 100e6);
        _deposit(backstop, 1e6);
        vm.prank(settler);
        clearinghouse.settleTrade(carol, backstop, ETH, 1e18, 2000e18, _margin(), _margin());
        // Alice's and Bob's 1 ETH close between themselves first.
        vm.prank(settler);
        clearinghouse.settleTrade(bob, alice, ETH, 1e18, 2000e18, _noMargin(), _noMargin());
        _setEthPrice(1800e8);

        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.BadDebt(carol, 100e18);
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.BadDebtAbsorbedByBackstop(carol, ETH, 100e18);
        vm.prank(keeper);
        clearinghouse.liquidate(carol, _certificate(epoch, _indices(3, 6)), WAD);
        assertEq(clearinghouse.cash(carol), 0, "carol cash");
        // 1 of cash + 200 gained on its short (2000 -> 1800) - the 100 it absorbed.
        assertEq(clearinghouse.equity(backstop), 1e18 + 200e18 - 100e18, "backstop equity");
        assertEq(clearinghouse.openPositionCount(backstop), 0, "backstop flat");
        (,, int256 openInterest,) = clearinghouse.markets(ETH);
        assertEq(openInterest, 0, "open interest");
    }

    /// @notice Carol holds 0.1 WETH at a 20% haircut and 20 of cash, long 1 ETH at 2000.
    /// At 1800 her equity is 20 - 200 + 0.08 * 1800 = -36. Waterfall: closing leaves -180 of
    /// cash, her WETH goes to the backstop for 144, and the remaining 36 is socialized over
    /// Bob's short and the backstop's new long (18 per unit).
    function test_Liquidate_SeizesSpotCollateralBeforeSocializing() public {
        clearinghouse.setCollateralAsset(ETH, weth, 0.2e18);
        _depositWeth(carol, 0.1e18);
        _openCarol(20e6);
        // Alice's and Bob's 1 ETH close between themselves: Bob keeps Carol's short side.
        vm.prank(settler);
        clearinghouse.settleTrade(bob, alice, ETH, 1e18, 2000e18, _noMargin(), _noMargin());
        _setEthPrice(1800e8);
        assertEq(clearinghouse.equity(carol), -36e18, "carol equity");

        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.CollateralSeized(carol, ETH, 0.1e18, 1800e18, 144e18);
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.BadDebt(carol, 36e18);
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.LossSocialized(carol, ETH, 36e18, 2e18, 18e18);
        vm.prank(keeper);
        clearinghouse.liquidate(carol, _certificate(epoch, _indices(3, 6)), WAD);

        assertEq(clearinghouse.collateralBalance(carol, ETH), 0, "carol weth");
        assertEq(clearinghouse.collateralBalance(backstop, ETH), 0.1e18, "backstop weth");
        assertEq(clearinghouse.cash(carol), 0, "carol cash");
        // Backstop: long 1 at 1800 (worth 1800), paid 144 for 0.08 haircut units (144), owes 18.
        assertEq(clearinghouse.equity(backstop), -18e18, "backstop equity");
    }

    // ------------------------------------------------------------ funding and PnL

    function test_ApplyFunding_LongsPayShorts() public {
        int256 aliceBefore = clearinghouse.equity(alice);
        int256 bobBefore = clearinghouse.equity(bob);
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.FundingApplied(ETH, 0.001e18, 2000e18, 2e18);
        vm.prank(settler);
        clearinghouse.applyFunding(ETH, 0.001e18);
        assertEq(clearinghouse.equity(alice), aliceBefore - 2e18, "alice pays 0.1% of 2000");
        assertEq(clearinghouse.equity(bob), bobBefore + 2e18, "bob receives it");

        // Settled into cash at Alice's next trade.
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.ChargesSettled(alice, ETH, false, 2e18);
        vm.prank(settler);
        clearinghouse.settleTrade(bob, alice, ETH, 0.5e18, 2000e18, _noMargin(), _noMargin());
        assertEq(clearinghouse.positionOf(alice, ETH).fundingIndex, 2e18, "alice snapshot");
        assertEq(clearinghouse.equity(alice), aliceBefore - 2e18, "equity unchanged by settling");
    }

    function test_ApplyFunding_Rules() public {
        vm.expectRevert(abi.encodeWithSelector(IClearinghouse.NotSettler.selector, address(this)));
        clearinghouse.applyFunding(ETH, 0.001e18);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClearinghouse.FundingRateTooLarge.selector, -0.01e18 - 1, 0.01e18
            )
        );
        vm.prank(settler);
        clearinghouse.applyFunding(ETH, -0.01e18 - 1);
        vm.prank(settler);
        clearinghouse.applyFunding(ETH, -0.01e18);
        uint64 next = uint64(block.timestamp) + 1 hours;
        vm.expectRevert(abi.encodeWithSelector(IClearinghouse.FundingTooSoon.selector, ETH, next));
        vm.prank(settler);
        clearinghouse.applyFunding(ETH, 0);
        vm.warp(next);
        _setEthPrice(2000e8);
        vm.prank(settler);
        clearinghouse.applyFunding(ETH, 0);
    }

    /// @notice A funding charge of a fractional wei rounds against the account either way.
    function test_Charges_RoundAgainstTheAccount() public {
        _deposit(carol, 10_000e6);
        vm.prank(settler);
        clearinghouse.settleTrade(carol, bob, ETH, 3, 2000e18, _margin(), _margin());
        int256 carolBefore = clearinghouse.portfolioOf(carol).balance;
        // Index += 2000 * 1e-18 = 2000 wei per unit; 3 wei of size owe 3 * 2000 / 1e18: 1 wei.
        vm.prank(settler);
        clearinghouse.applyFunding(ETH, 1);
        assertEq(clearinghouse.portfolioOf(carol).balance, carolBefore - 1, "long pays 1 wei");
    }

    /// @notice Alice sells half her long at 2100: 50 realized; the other half keeps its 1000
    /// of basis.
    function test_Fill_ReductionRealizesPnl() public {
        int256 cashBefore = clearinghouse.cash(alice);
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.PnlRealized(alice, ETH, false, 50e18);
        vm.prank(settler);
        clearinghouse.settleTrade(bob, alice, ETH, 0.5e18, 2100e18, _noMargin(), _noMargin());
        _assertPosition(alice, 0.5e18, 1000e18, 1);
        assertEq(clearinghouse.cash(alice), cashBefore + 50e18, "alice cash");
    }

    // ------------------------------------------------------------ spot collateral

    /// @notice 1 WETH at a 20% haircut counts 1600 at 2000 and moves with ETH in scenarios.
    function test_SpotCollateral_CountsAtHaircutAndMovesWithSpot() public {
        clearinghouse.setCollateralAsset(ETH, weth, 0.2e18);
        _depositWeth(carol, 1e18);
        assertEq(clearinghouse.equity(carol), 1600e18, "haircut value");
        int256[] memory r = new int256[](1);
        r[0] = -0.2e18;
        assertEq(clearinghouse.scenarioLoss(carol, r, new int256[](1)), 320e18, "0.8 * 2000 * 20%");
        // No positions, no debt: withdraw freely.
        vm.prank(carol);
        clearinghouse.withdrawCollateral(ETH, 0.5e18, _noMargin());
        assertEq(weth.balanceOf(carol), 0.5e18, "withdrawn");
        assertEq(clearinghouse.equity(carol), 800e18, "half left");
    }

    function test_SpotCollateral_WithPositionsNeedsACertificate() public {
        clearinghouse.setCollateralAsset(ETH, weth, 0.2e18);
        _depositWeth(carol, 1e18);
        _openCarol(1e6);
        vm.expectRevert(
            abi.encodeWithSelector(IClearinghouse.MarginCertificateRequired.selector, carol)
        );
        vm.prank(carol);
        clearinghouse.withdrawCollateral(ETH, 0.5e18, _noMargin());
        vm.prank(carol);
        clearinghouse.withdrawCollateral(ETH, 0.5e18, _margin());
        assertEq(clearinghouse.collateralBalance(carol, ETH), 0.5e18, "left");
    }

    /// @notice A swap deposits one collateral and withdraws another with one margin check.
    function test_SwapCollateral() public {
        MockToken wbtc = new MockToken(owner, "Mock Wrapped Bitcoin", "mWBTC", 8);
        clearinghouse.setCollateralAsset(ETH, weth, 0.2e18);
        _depositWeth(carol, 1e18);
        // A second token on the same asset is refused while the first is held.
        vm.expectRevert(
            abi.encodeWithSelector(
                IClearinghouse.InvalidCollateralAsset.selector, ETH, address(wbtc), 0.2e18
            )
        );
        clearinghouse.setCollateralAsset(ETH, wbtc, 0.2e18);

        weth.mint(carol, 2e18);
        vm.startPrank(carol);
        weth.approve(address(clearinghouse), 2e18);
        clearinghouse.swapCollateral(ETH, 2e18, ETH, 1e18, _noMargin());
        vm.stopPrank();
        assertEq(clearinghouse.collateralBalance(carol, ETH), 2e18, "in 2, out 1");
        assertEq(weth.balanceOf(carol), 1e18, "carol got 1 back");
    }

    function test_SetCollateralAsset_Bounds() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IClearinghouse.InvalidCollateralAsset.selector, ETH, address(weth), WAD
            )
        );
        clearinghouse.setCollateralAsset(ETH, weth, WAD);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClearinghouse.InvalidCollateralAsset.selector, ETH, address(usdc), 0
            )
        );
        clearinghouse.setCollateralAsset(ETH, usdc, 0);
        vm.expectRevert(abi.encodeWithSelector(IClearinghouse.UnknownCollateral.selector, ETH));
        vm.prank(carol);
        clearinghouse.depositCollateral(ETH, 1);
    }

    // ------------------------------------------------------------ parameters

    function test_SetLiquidationParameters_Bounds() public {
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.LiquidationParametersSet(0.25e18, 0.9e18, 50e18);
        clearinghouse.setLiquidationParameters(0.25e18, 0.9e18, 50e18);
        (int256 closeFactor, int256 health, int256 dust) = clearinghouse.liquidationParameters();
        assertEq(closeFactor, 0.25e18, "close factor");
        assertEq(health, 0.9e18, "health");
        assertEq(dust, 50e18, "dust");
        vm.expectRevert(
            abi.encodeWithSelector(
                IClearinghouse.InvalidLiquidationParameters.selector, int256(0), 0.9e18, 50e18
            )
        );
        clearinghouse.setLiquidationParameters(0, 0.9e18, 50e18);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClearinghouse.InvalidLiquidationParameters.selector, 0.5e18, WAD + 1, 50e18
            )
        );
        clearinghouse.setLiquidationParameters(0.5e18, WAD + 1, 50e18);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClearinghouse.InvalidLiquidationParameters.selector, 0.5e18, 0.9e18, -1
            )
        );
        clearinghouse.setLiquidationParameters(0.5e18, 0.9e18, -1);
    }

    function test_SetLiquidityAddOnAndMaxFundingRate_Bounds() public {
        vm.expectRevert(
            abi.encodeWithSelector(IClearinghouse.InvalidLiquidityAddOn.selector, WAD + 1)
        );
        clearinghouse.setLiquidityAddOn(WAD + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IClearinghouse.InvalidMaxFundingRate.selector, 0.1e18 + 1)
        );
        clearinghouse.setMaxFundingRate(0.1e18 + 1);
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.MaxFundingRateSet(0);
        clearinghouse.setMaxFundingRate(0);
    }

    /// @notice With a 1% liquidity add-on, 1 ETH at 2000 needs 20 on top of the (1 wei
    /// factor) ES term: 10 of equity is not enough, 30 is.
    function test_InitialMargin_IncludesLiquidityAddOn() public {
        clearinghouse.setLiquidityAddOn(0.01e18);
        _deposit(carol, 10e6);
        vm.prank(settler);
        try clearinghouse.settleTrade(carol, bob, ETH, 1e18, 2000e18, _margin(), _margin()) {
            revert("a trade below the add-on passed");
        } catch (bytes memory reason) {
            assertEq(bytes4(reason), IClearinghouse.InsufficientInitialMargin.selector, "error");
            (, int256 equity_, int256 im) = abi.decode(_args(reason), (address, int256, int256));
            assertEq(equity_, 10e18, "equity");
            assertTrue(im > 20e18 && im < 20e18 + 1e6, "IM = 20 + a few hundred wei");
        }
        _deposit(carol, 20e6);
        vm.prank(settler);
        clearinghouse.settleTrade(carol, bob, ETH, 1e18, 2000e18, _margin(), _margin());
    }

    // ------------------------------------------------------------ helpers

    function _openCarol(uint256 usdcAmount) internal {
        _deposit(carol, usdcAmount);
        vm.prank(settler);
        clearinghouse.settleTrade(carol, bob, ETH, 1e18, 2000e18, _margin(), _margin());
    }

    function _depositWeth(address account, uint256 amount) internal {
        weth.mint(account, amount);
        vm.startPrank(account);
        weth.approve(address(clearinghouse), amount);
        clearinghouse.depositCollateral(ETH, amount);
        vm.stopPrank();
    }

    function _checkOf(int256 equity_, int256 mm)
        internal
        pure
        returns (IMarginEngine.MarginCheck memory c)
    {
        c.equity = equity_;
        c.maintenanceMargin = mm;
        c.expectedShortfallLowerBound = mm;
        c.liquidatable = mm > equity_;
    }

    /// @dev Revert data without its selector.
    function _args(bytes memory reason) internal pure returns (bytes memory out) {
        out = new bytes(reason.length - 4);
        for (uint256 i; i < out.length; ++i) {
            out[i] = reason[i + 4];
        }
    }
}
