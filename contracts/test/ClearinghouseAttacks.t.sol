// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {Clearinghouse} from "../Clearinghouse.sol";
import {IClearinghouse} from "../interfaces/IClearinghouse.sol";
import {IMarginEngine} from "../interfaces/IMarginEngine.sol";
import {IOracleAdapter} from "../interfaces/IOracleAdapter.sol";
import {MockToken} from "../mocks/MockToken.sol";
import {ClearinghouseMarginFixture} from "./ClearinghouseMargin.t.sol";
import {ReentrantAccount, ReentrantToken} from "./utils/ReentrantToken.sol";

/// @notice The cheatcode these tests use beyond utils/Vm.sol.
interface VmCallCheats {
    /// @notice Expect exactly `count` calls to `callee` whose calldata starts with `data`
    /// before the test ends (empty `data`: any call).
    function expectCall(address callee, bytes calldata data, uint64 count) external;
}

/// @notice Attacks on the clearinghouse, on the margin fixture (one asset, ETH at 2000; a
/// long's certified MM and IM are 0.175 * mark per unit, a short's 0.075, both at k = 2 of 8
/// scenarios with factor 1, so IM = MM), with the default close-factor rule (50%, full below
/// health 0.95 or at most 100 of positions), a 1% penalty half to the keeper, and two tokens
/// with ERC-777-style transfer hooks: the stablecoin and ETH's spot collateral (rWETH, 20%
/// haircut). `attacker` is a contract account that listens to both tokens' hooks; Bob is a
/// deep-pocketed counterparty.
abstract contract ClearinghouseAttacksFixture is ClearinghouseMarginFixture {
    int256 internal constant HAIRCUT = 0.2e18;

    VmCallCheats internal constant callCheats = VmCallCheats(address(vm));

    ReentrantToken internal weth;
    ReentrantAccount internal attacker;

    function setUp() public virtual override {
        super.setUp();
        clearinghouse.setLiquidationParameters(0.5e18, 0.95e18, 100e18);
        weth = new ReentrantToken(owner, "Reentrant Wrapped Ether", "rWETH", 18);
        clearinghouse.setCollateralAsset(ETH, weth, HAIRCUT);
        attacker = new ReentrantAccount();
        attacker.listen(weth);
        attacker.listen(ReentrantToken(address(usdc)));
        vm.label(address(attacker), "attacker");
        _deposit(bob, 100_000e6);
    }

    /// @dev The stablecoin has transfer hooks too.
    function _newStablecoin() internal override returns (MockToken) {
        return new ReentrantToken(owner, "Reentrant USD Coin", "rUSDC", 6);
    }

    /// @notice Arm the attacker to call the clearinghouse with `call` from its next hook on
    /// the receiving (or sending) side of a transfer.
    function _armAttacker(bytes memory call, bool whenReceiving) internal {
        attacker.arm(address(clearinghouse), call, whenReceiving);
    }

    /// @notice Mint `amount` of rWETH to `account` and deposit it as its spot collateral.
    function _depositWeth(address account, uint256 amount) internal {
        weth.mint(account, amount);
        vm.startPrank(account);
        weth.approve(address(clearinghouse), amount);
        clearinghouse.depositCollateral(ETH, amount);
        vm.stopPrank();
    }

    /// @notice `account` deposits `usdcAmount` and buys 1 ETH from Bob at 2000 with its
    /// optimal certificate (IM 350).
    function _openLongOne(address account, uint256 usdcAmount) internal {
        _deposit(account, usdcAmount);
        _trade(
            account,
            bob,
            1e18,
            2000e18,
            _margin(_secondLargest(_losses(1e18, MARK))),
            _margin(_secondLargest(_losses(-1e18, MARK)))
        );
    }

    /// @notice The attacker deposits `wethAmount` of rWETH and sells 1 ETH to Bob at 2000:
    /// its exposure is 0.8 * wethAmount - 1 ETH.
    function _openAttackerShortOne(uint256 wethAmount) internal {
        _depositWeth(address(attacker), wethAmount);
        int256 exposure = int256(wethAmount) * (WAD - HAIRCUT) / WAD - 1e18;
        _trade(
            bob,
            address(attacker),
            1e18,
            2000e18,
            _margin(_secondLargest(_losses(1e18, MARK))),
            _margin(_secondLargest(_losses(exposure, MARK)))
        );
    }

    /// @notice The call liquidating `fraction` of `account` with the certificate of its two
    /// worst scenarios: -20% and -15% (indices 3 and 6) for a long, +10% and +5% (4 and 7)
    /// for a short.
    function _liquidateCall(address account, int256 fraction) internal view returns (bytes memory) {
        (uint256 a, uint256 b) =
            clearinghouse.positionOf(account, ETH).size > 0 ? (3, 6) : (uint256(4), uint256(7));
        return
            abi.encodeCall(
                Clearinghouse.liquidate, (account, _liquidationCertificate(a, b), fraction)
            );
    }
}

/// @notice Re-entrancy through tokens with transfer hooks (Derive v2-core #273 is a re-entry
/// during liquidation that bypasses the risk check). The clearinghouse has no reentrancy
/// guard; it relies on ordering: every function that moves tokens makes the transfer its last
/// step, after its effects and its margin check, so a re-entrant call only ever sees an
/// account that has passed every check of the outer call (`deposit` and `fundInsurance` pull
/// before they credit, which a callback can only observe as the state before the deposit). `liquidate` calls no
/// token at all: collateral seized in the waterfall moves in the books only.
contract ClearinghouseReentrancyTest is ClearinghouseAttacksFixture {
    /// @notice The attacker holds 1 rWETH against a short of 1 ETH. At 2200 its equity is
    /// 2000 - 2200 + 0.8 * 2200 = 1560; without the rWETH it is -200 against an IM of
    /// (220 + 110) / 2 = 165. A withdrawal of all the rWETH whose transfer hook liquidates
    /// the account in full (insolvent, so no penalty) would leave it flat with its debt
    /// socialized, and a margin check made after the transfer would then be skipped (a flat
    /// account without debt needs none): the attacker would keep 2200 of rWETH and leave 200
    /// of bad debt. The check runs before the transfer, so the withdrawal reverts.
    function test_WithdrawCollateral_ReentrantLiquidationCannotSkipTheMarginCheck() public {
        _openAttackerShortOne(1e18);
        _setEthPrice(2200e8);
        assertEq(clearinghouse.equity(address(attacker)), 1560e18, "hedged equity");
        _armAttacker(_liquidateCall(address(attacker), WAD), true);
        IMarginEngine.MarginCertificate memory m = _margin(_secondLargest(_losses(-1e18, 2200e18)));

        vm.expectRevert(_insufficient(address(attacker), -200e18, 165e18));
        vm.prank(address(attacker));
        clearinghouse.withdrawCollateral(ETH, 1e18, m);
        assertEq(clearinghouse.collateralBalance(address(attacker), ETH), 1e18, "rWETH kept");
        _assertPosition(address(attacker), -1e18);
    }

    /// @notice The same attack through swapCollateral (1 wei in, all out; the hook fires
    /// when the rWETH reaches the attacker) reverts the same way.
    function test_SwapCollateral_ReentrantLiquidationCannotSkipTheMarginCheck() public {
        _openAttackerShortOne(1e18);
        _setEthPrice(2200e8);
        weth.mint(address(attacker), 1);
        vm.prank(address(attacker));
        weth.approve(address(clearinghouse), 1);
        _armAttacker(_liquidateCall(address(attacker), WAD), true);
        IMarginEngine.MarginCertificate memory m = _margin(_secondLargest(_losses(-1e18, 2200e18)));

        // 1 wei of rWETH is worth floor(0.8 wei) = 0 units of exposure.
        vm.expectRevert(_insufficient(address(attacker), -200e18, 165e18));
        vm.prank(address(attacker));
        clearinghouse.swapCollateral(ETH, 1, ETH, 1e18, m);
    }

    /// @notice A withdrawal that passes its margin check hands the attacker control only
    /// then: a re-entrant liquidation of the account sees it with 0.5 rWETH left (exposure
    /// -0.6 ETH, equity 800, MM (120 + 60) / 2 = 90) and reverts AccountHealthy.
    function test_WithdrawCollateral_ReentrantLiquidationSeesTheCheckedAccount() public {
        _openAttackerShortOne(1e18);
        _armAttacker(_liquidateCall(address(attacker), WAD), true);
        IMarginEngine.MarginCertificate memory m = _margin(_secondLargest(_losses(-0.6e18, MARK)));

        vm.expectRevert(
            abi.encodeWithSelector(
                IClearinghouse.AccountHealthy.selector, address(attacker), 800e18, 90e18
            )
        );
        vm.prank(address(attacker));
        clearinghouse.withdrawCollateral(ETH, 0.5e18, m);
    }

    /// @notice A second withdrawal from the first one's transfer hook sees the first already
    /// debited: with 400 of cash, long 1 ETH (IM 350), 50 can come out once; the re-entrant
    /// 50 would leave 300 and reverts. Without the hook the single withdrawal passes.
    function test_Withdraw_ReentrantSecondWithdrawalSeesTheFirstDebited() public {
        _openLongOne(address(attacker), 400e6);
        IMarginEngine.MarginCertificate memory m = _margin(300e18);
        _armAttacker(abi.encodeCall(Clearinghouse.withdraw, (50e6, m)), true);

        vm.expectRevert(_insufficient(address(attacker), 300e18, 350e18));
        vm.prank(address(attacker));
        clearinghouse.withdraw(50e6, m);

        attacker.arm(address(0), "", true);
        vm.prank(address(attacker));
        clearinghouse.withdraw(50e6, m);
        assertEq(clearinghouse.cash(address(attacker)), 350e18, "one withdrawal");
        assertEq(usdc.balanceOf(address(attacker)), 50e6, "paid once");
    }

    /// @notice A deposit pulls before it credits: a withdrawal from the pull's hook sees the
    /// cash before the deposit and reverts InsufficientCash.
    function test_Deposit_ReentrantWithdrawalCannotSpendTheDepositBeforeItArrives() public {
        usdc.mint(address(attacker), 100e6);
        vm.prank(address(attacker));
        usdc.approve(address(clearinghouse), 100e6);
        _armAttacker(abi.encodeCall(Clearinghouse.withdraw, (100e6, _noMargin())), false);

        vm.expectRevert(
            abi.encodeWithSelector(
                IClearinghouse.InsufficientCash.selector, address(attacker), int256(0), 100e18
            )
        );
        vm.prank(address(attacker));
        clearinghouse.deposit(100e6);
    }

    /// @notice `insuranceFund += _pull(amount)` reads the fund after the pull: a liquidation
    /// made from the pull's hook (Alice, long 1 ETH with 400, at 1900: half closed for 950,
    /// penalty 9.5, 4.75 each to the keeper and the fund) is not overwritten by the outer
    /// credit. The fund ends at 100 + 4.75.
    function test_FundInsurance_ReentrantLiquidationFeeIsNotOverwritten() public {
        _openLongOne(alice, 400e6);
        _setEthPrice(1900e8);
        usdc.mint(address(attacker), 100e6);
        vm.prank(address(attacker));
        usdc.approve(address(clearinghouse), 100e6);
        _armAttacker(_liquidateCall(alice, 0.5e18), false);

        vm.prank(address(attacker));
        clearinghouse.fundInsurance(100e6);
        assertEq(attacker.callbacks(), 1, "liquidated from the hook");
        assertEq(clearinghouse.cash(address(attacker)), 4.75e18, "keeper reward");
        assertEq(clearinghouse.insuranceFund(), 104.75e18, "fund: donation + fee");
        assertEq(usdc.balanceOf(address(clearinghouse)), 100_500e6, "tokens held");
    }

    /// @notice depositCollateral credits before it pulls, so the pull's hook can withdraw the
    /// credit before the tokens arrive. That is paid from the clearinghouse's other rWETH and
    /// the pull then completes, or the whole call reverts: with no other rWETH held, the
    /// inner transfer fails; with Carol's 1 rWETH held, the attacker ends with no collateral,
    /// its own 1 rWETH back, and the clearinghouse still holds exactly Carol's.
    function test_DepositCollateral_ReentrantWithdrawalOfTheCreditIsPaidBack() public {
        weth.mint(address(attacker), 1e18);
        vm.prank(address(attacker));
        weth.approve(address(clearinghouse), 1e18);
        _armAttacker(
            abi.encodeCall(Clearinghouse.withdrawCollateral, (ETH, 1e18, _noMargin())), false
        );

        vm.expectRevert(
            abi.encodeWithSelector(
                IERC20Errors.ERC20InsufficientBalance.selector,
                address(clearinghouse),
                uint256(0),
                uint256(1e18)
            )
        );
        vm.prank(address(attacker));
        clearinghouse.depositCollateral(ETH, 1e18);

        _depositWeth(carol, 1e18);
        vm.prank(address(attacker));
        clearinghouse.depositCollateral(ETH, 1e18);
        assertEq(attacker.callbacks(), 1, "withdrew from the hook");
        assertEq(clearinghouse.collateralBalance(address(attacker), ETH), 0, "attacker credit");
        assertEq(weth.balanceOf(address(attacker)), 1e18, "attacker tokens");
        assertEq(weth.balanceOf(address(clearinghouse)), 1e18, "held = Carol's");
        assertEq(clearinghouse.collateralBalance(carol, ETH), 1e18, "Carol's collateral");
    }

    /// @notice Derive #273's path does not exist here: a liquidation, even one that seizes
    /// spot collateral in the waterfall, calls neither token, so a hook-bearing account
    /// (here the liquidated one, which also keeps the reward as its own keeper) gets no
    /// control mid-liquidation. The attacker (0.5 rWETH, short 1 ETH) at 3500 has equity
    /// 2000 - 3500 + 0.4 * 3500 = -100 and is liquidated in full; its rWETH moves to the
    /// backstop in the books only.
    function test_Liquidate_CallsNoTokenEvenWhenSeizingCollateral() public {
        _openAttackerShortOne(0.5e18);
        _setEthPrice(3500e8);
        assertEq(clearinghouse.equity(address(attacker)), -100e18, "insolvent");
        _armAttacker(abi.encodeCall(Clearinghouse.withdraw, (1, _noMargin())), true);
        IMarginEngine.LiquidationCertificate memory cert = _liquidationCertificate(4, 7);

        // For the rest of the test: no call of any kind to either token.
        callCheats.expectCall(address(weth), "", 0);
        callCheats.expectCall(address(usdc), "", 0);
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.CollateralSeized(address(attacker), ETH, 0.5e18, 3500e18, 1400e18);
        vm.prank(address(attacker));
        clearinghouse.liquidate(address(attacker), cert, WAD);
        assertEq(attacker.callbacks(), 0, "no hook");
        assertEq(clearinghouse.collateralBalance(address(attacker), ETH), 0, "seized");
        assertEq(clearinghouse.collateralBalance(backstop, ETH), 0.5e18, "backstop's in books");
        assertEq(clearinghouse.totalCollateral(ETH), 0.5e18, "a seizure moves, the total stays");
    }
}

/// @notice Self-liquidation: an account liquidated by its own sybil keeper (Carol) loses
/// the penalty and gets back only the keeper's share, so the pair is worth exactly the
/// insurance share less; a healthy account cannot make itself liquidatable, because every
/// withdrawal from an account with positions needs a margin certificate at IM >= MM.
contract ClearinghouseSelfLiquidationTest is ClearinghouseAttacksFixture {
    function setUp() public override {
        super.setUp();
        _openLongOne(alice, 400e6);
    }

    /// @notice The account's equity, not below zero (a negative equity is not a claim on
    /// anything), plus its keeper's.
    function _pairValue() internal view returns (int256) {
        int256 account = clearinghouse.equity(alice);
        return (account > 0 ? account : int256(0)) + clearinghouse.equity(carol);
    }

    /// @notice At 1930 Alice has equity 330 < MM 337.75, health 0.977: at most the close
    /// factor. At 0.5, 0.25 and 1/3 the pair loses exactly what went to the insurance fund,
    /// and a fraction above the close factor reverts.
    function test_SelfLiquidation_PartialLosesTheInsuranceShare() public {
        _setEthPrice(1930e8);
        assertEq(clearinghouse.equity(alice), 330e18, "equity");
        vm.expectRevert(
            abi.encodeWithSelector(
                IClearinghouse.FractionAboveCloseFactor.selector, 0.5e18 + 1, 0.5e18
            )
        );
        vm.prank(carol);
        clearinghouse.liquidate(alice, _liquidationCertificate(3, 6), 0.5e18 + 1);

        int256[3] memory fractions = [int256(0.5e18), 0.25e18, 0.333333333333333333e18];
        for (uint256 i; i < fractions.length; ++i) {
            uint256 snapshot = cheats.snapshotState();
            int256 pairBefore = _pairValue();
            vm.prank(carol);
            clearinghouse.liquidate(alice, _liquidationCertificate(3, 6), fractions[i]);
            int256 insuranceShare = clearinghouse.insuranceFund();
            assertTrue(insuranceShare > 0, "penalty charged");
            assertEq(_pairValue(), pairBefore - insuranceShare, "pair value");
            cheats.revertToState(snapshot);
        }
    }

    /// @notice At 1900 (equity 300, MM 332.5, health 0.902) the whole position closes: 19 of
    /// penalty, 9.5 back to the sybil; the pair goes from 300 to 290.5.
    function test_SelfLiquidation_FullLosesTheInsuranceShare() public {
        _setEthPrice(1900e8);
        vm.prank(carol);
        clearinghouse.liquidate(alice, _liquidationCertificate(3, 6), WAD);
        assertEq(clearinghouse.insuranceFund(), 9.5e18, "insurance share");
        assertEq(clearinghouse.cash(alice), 281e18, "alice: 400 - 100 - 19");
        assertEq(_pairValue(), 290.5e18, "pair value");
    }

    /// @notice At 1550 Alice's equity is -50: nothing is charged, the keeper gets nothing,
    /// and her 50 of debt goes down the waterfall (socialized over Bob's short and the
    /// backstop's new long). Her account is zeroed, not credited: the pair had nothing to
    /// claim before and has nothing after.
    function test_SelfLiquidation_InsolventPaysTheKeeperNothing() public {
        _setEthPrice(1550e8);
        assertEq(clearinghouse.equity(alice), -50e18, "insolvent");
        vm.prank(carol);
        clearinghouse.liquidate(alice, _liquidationCertificate(3, 6), WAD);
        assertEq(clearinghouse.cash(carol), 0, "no reward");
        assertEq(clearinghouse.cash(alice), 0, "debt written off");
        assertEq(clearinghouse.openPositionCount(alice), 0, "flat");
        assertEq(_pairValue(), 0, "pair value");
        (, int256 lossIndex,,) = clearinghouse.markets(ETH);
        assertEq(lossIndex, 25e18, "50 over 2 ETH of open interest");
    }

    /// @notice Healthy at 2000 (equity 400, IM = MM = 350), Alice cannot withdraw her way to
    /// liquidatable: without a certificate MarginCertificateRequired, with one any amount
    /// leaving equity below 350 reverts, and after the largest allowed withdrawal (50) she
    /// is still not liquidatable.
    function test_SelfLiquidation_HealthyAccountCannotWithdrawIntoLiquidation() public {
        vm.expectRevert(
            abi.encodeWithSelector(IClearinghouse.MarginCertificateRequired.selector, alice)
        );
        vm.prank(alice);
        clearinghouse.withdraw(60e6, _noMargin());

        IMarginEngine.MarginCertificate memory m = _margin(300e18);
        vm.expectRevert(_insufficient(alice, 340e18, 350e18));
        vm.prank(alice);
        clearinghouse.withdraw(60e6, m);

        vm.prank(alice);
        clearinghouse.withdraw(50e6, m);
        vm.expectRevert(
            abi.encodeWithSelector(IClearinghouse.AccountHealthy.selector, alice, 350e18, 350e18)
        );
        vm.prank(carol);
        clearinghouse.liquidate(alice, _liquidationCertificate(3, 6), 0.5e18);
    }
}

/// @notice Front-running and sandwiching the oracle update. A liquidation values the account
/// at the feed's answer when it executes, and a certificate is only scenario data, valid at
/// any price: a keeper cannot liquidate on a price that has not landed, nor on one that is
/// stale, and a liquidation that lands after an update (or a top-up) that restored health
/// reverts. Trades are settled only by the settler, and every side whose risk grows is
/// margined at the current mark, whatever the trade price.
contract ClearinghouseOracleFrontRunTest is ClearinghouseAttacksFixture {
    function setUp() public override {
        super.setUp();
        _openLongOne(alice, 400e6);
    }

    function _healthy(int256 equity, int256 mm) internal view returns (bytes memory) {
        return abi.encodeWithSelector(IClearinghouse.AccountHealthy.selector, alice, equity, mm);
    }

    /// @notice At 2000 Alice (equity 400, MM 350) is healthy: a keeper anticipating a move to
    /// 1900 reverts until the update lands, then succeeds.
    function test_Liquidate_BeforeTheUpdateLands_RevertsAccountHealthy() public {
        vm.expectRevert(_healthy(400e18, 350e18));
        vm.prank(keeper);
        clearinghouse.liquidate(alice, _liquidationCertificate(3, 6), WAD);

        _setEthPrice(1900e8);
        vm.prank(keeper);
        clearinghouse.liquidate(alice, _liquidationCertificate(3, 6), WAD);
        _assertPosition(alice, 0);
    }

    /// @notice At 1900 Alice is liquidatable (equity 300 < MM 332.5). An update back to 2000
    /// that lands first makes the keeper's transaction revert with the new numbers; so does
    /// a top-up of 40 by Alice at 1900 (equity 340 >= 332.5).
    function test_Liquidate_AfterHealthIsRestored_RevertsAccountHealthy() public {
        _setEthPrice(1900e8);
        assertTrue(
            clearinghouse.isLiquidatable(alice, _liquidationCertificate(3, 6)).liquidatable,
            "liquidatable at 1900"
        );
        uint256 snapshot = cheats.snapshotState();
        _setEthPrice(2000e8);
        vm.expectRevert(_healthy(400e18, 350e18));
        vm.prank(keeper);
        clearinghouse.liquidate(alice, _liquidationCertificate(3, 6), WAD);
        cheats.revertToState(snapshot);

        _deposit(alice, 40e6);
        vm.expectRevert(_healthy(340e18, 332.5e18));
        vm.prank(keeper);
        clearinghouse.liquidate(alice, _liquidationCertificate(3, 6), WAD);
    }

    /// @notice Once the feed is older than its heartbeat, liquidations stop (StalePrice)
    /// rather than run on an old price.
    function test_Liquidate_OnAStalePrice_Reverts() public {
        _setEthPrice(1900e8);
        uint256 updatedAt = block.timestamp;
        vm.warp(updatedAt + HEARTBEAT + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IOracleAdapter.StalePrice.selector, ETH, updatedAt, HEARTBEAT, block.timestamp
            )
        );
        vm.prank(keeper);
        clearinghouse.liquidate(alice, _liquidationCertificate(3, 6), WAD);
    }

    /// @notice Only the settler settles trades. A trade priced ahead of a pending move (Alice
    /// buys 1 more at 2100 while the mark is 2000) is margined at the mark: her equity counts
    /// the 100 she overpays, 400 - 100 = 300 < IM 700.
    function test_SettleTrade_OnlySettler_MarginedAtTheCurrentMark() public {
        IMarginEngine.MarginCertificate memory ma = _margin(_secondLargest(_losses(2e18, MARK)));
        IMarginEngine.MarginCertificate memory mb = _margin(_secondLargest(_losses(-2e18, MARK)));
        vm.expectRevert(abi.encodeWithSelector(IClearinghouse.NotSettler.selector, alice));
        vm.prank(alice);
        clearinghouse.settleTrade(alice, bob, ETH, 1e18, 2100e18, ma, mb);

        vm.expectRevert(_insufficient(alice, 300e18, 700e18));
        _trade(alice, bob, 1e18, 2100e18, ma, mb);
    }

    /// @notice Residual risk, pinned: the settler is trusted for prices. A trade that
    /// reduces both sides needs no certificate and no price check, so a settler can close
    /// Alice's long at 1 wei: 2000 moves from Alice to Bob, Alice is left flat with 1600 of
    /// debt, and liquidating her makes the backstop absorb it.
    function test_Residual_SettlerReducingTradeAtAnyPriceIsUnchecked() public {
        _trade(bob, alice, 1e18, 1, _noMargin(), _noMargin());
        assertEq(clearinghouse.equity(alice), -1600e18 + 1, "alice after the trade");
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.BadDebtAbsorbedByBackstop(alice, type(uint256).max, 1600e18 - 1);
        vm.prank(keeper);
        clearinghouse.liquidate(alice, _liquidationCertificate(3, 6), WAD);
    }
}

/// @notice Griefing with dust. There is no minimum size on-chain (a trade needs size > 0);
/// what bounds dust is the settler, which matches orders, and the liquidation rules: an
/// account worth at most `dustValue` (100) closes in one liquidation whatever its health,
/// but its keeper reward is a fraction of a dollar, and nothing once it is insolvent, so
/// only a keeper that ignores profit (the keeper service's `min_profit=None`) closes it.
/// Nobody can add positions or deposits to another account.
contract ClearinghouseDustTest is ClearinghouseAttacksFixture {
    /// @notice Carol deposits 3.5 and buys 0.01 ETH at 2000 from Bob, exactly at her IM.
    function _openDust() internal {
        _deposit(carol, 3.5e6);
        _trade(
            carol,
            bob,
            0.01e18,
            2000e18,
            _margin(_secondLargest(_losses(0.01e18, MARK))),
            _margin(_secondLargest(_losses(-0.01e18, MARK)))
        );
    }

    /// @notice Carol opens 0.01 ETH (worth 20) with exactly its IM, 3.5. At 1990 her equity
    /// is 3.4 < MM 3.4825, health 0.976: above the full-liquidation health, yet at 19.9 of
    /// positions she is dust and closes in full, for a keeper reward of 0.0995.
    function test_Dust_ClosesInOneLiquidationForACentsReward() public {
        _openDust();
        _setEthPrice(1990e8);
        vm.prank(keeper);
        IMarginEngine.MarginCheck memory check =
            clearinghouse.liquidate(carol, _liquidationCertificate(3, 6), WAD);
        assertEq(check.equity, 3.4e18, "equity");
        assertEq(check.maintenanceMargin, 3.4825e18, "MM");
        assertEq(clearinghouse.openPositionCount(carol), 0, "closed in one");
        assertEq(clearinghouse.cash(keeper), 0.0995e18, "reward");
    }

    /// @notice Left alone until 1550, the same dust account owes 1 more than it has: the
    /// liquidation pays no reward and its 1 of bad debt is socialized over the 0.02 ETH of
    /// open interest left (50 per ETH). What dust can cost is its own shortfall.
    function test_Dust_InsolventPaysNoRewardAndSocializesItsShortfall() public {
        _openDust();
        _setEthPrice(1550e8);
        assertEq(clearinghouse.equity(carol), -1e18, "insolvent");
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.LossSocialized(carol, ETH, 1e18, 0.02e18, 50e18);
        vm.prank(keeper);
        clearinghouse.liquidate(carol, _liquidationCertificate(3, 6), WAD);
        assertEq(clearinghouse.cash(keeper), 0, "no reward");
    }

    /// @notice A griefer cannot push dust onto Alice: deposits credit only the caller, and
    /// positions (the 16-series option cap included) come only from the settler.
    function test_Griefing_NoOneButTheSettlerAddsToAnotherAccount() public {
        _openLongOne(alice, 400e6);
        address griefer = address(0x6121EF);
        _deposit(griefer, 1);
        _depositWeth(griefer, 1);
        assertEq(clearinghouse.cash(alice), 400e18, "alice cash");
        assertEq(clearinghouse.collateralBalance(alice, ETH), 0, "alice collateral");
        assertEq(clearinghouse.cash(griefer), 1e12, "griefer cash");

        uint256 seriesId =
            seriesRegistry.listSeries(ETH, 2000e18, uint64(block.timestamp + 30 days), true);
        bytes memory notSettler =
            abi.encodeWithSelector(IClearinghouse.NotSettler.selector, griefer);
        vm.expectRevert(notSettler);
        vm.prank(griefer);
        clearinghouse.settleOptionTrade(alice, griefer, seriesId, 1, 0, _noMargin(), _noMargin());
        vm.expectRevert(notSettler);
        vm.prank(griefer);
        clearinghouse.settleTrade(alice, griefer, ETH, 1, 1, _noMargin(), _noMargin());
        assertEq(clearinghouse.openPositionCount(alice), 1, "alice positions");
    }

    /// @notice Derive #243's pattern, defended: the token of an asset can be replaced only
    /// while no account holds it, by `totalCollateral`, not by the clearinghouse's token
    /// balance. One wei sent to the clearinghouse directly (not deposited, so nobody can
    /// withdraw it) does not block the replacement.
    function test_SetCollateralAsset_DonatedWeiDoesNotBlockTokenReplacement() public {
        ReentrantToken replacement = new ReentrantToken(owner, "Other Wrapped Ether", "oWETH", 18);
        weth.mint(carol, 1);
        vm.prank(carol);
        weth.transfer(address(clearinghouse), 1);
        assertEq(clearinghouse.totalCollateral(ETH), 0, "a donation is no deposit");
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.CollateralAssetSet(ETH, address(replacement), HAIRCUT);
        clearinghouse.setCollateralAsset(ETH, replacement, HAIRCUT);
    }

    /// @notice One wei deposited does block it, until it is withdrawn.
    function test_SetCollateralAsset_DepositedWeiBlocksTokenReplacementUntilWithdrawn() public {
        ReentrantToken replacement = new ReentrantToken(owner, "Other Wrapped Ether", "oWETH", 18);
        _depositWeth(carol, 1);
        assertEq(clearinghouse.totalCollateral(ETH), 1, "deposited");
        vm.expectRevert(
            abi.encodeWithSelector(
                IClearinghouse.InvalidCollateralAsset.selector, ETH, address(replacement), HAIRCUT
            )
        );
        clearinghouse.setCollateralAsset(ETH, replacement, HAIRCUT);
        vm.prank(carol);
        clearinghouse.withdrawCollateral(ETH, 1, _noMargin());
        assertEq(clearinghouse.totalCollateral(ETH), 0, "withdrawn");
        clearinghouse.setCollateralAsset(ETH, replacement, HAIRCUT);
        (IERC20 token,,) = clearinghouse.collateralAssets(ETH);
        assertEq(address(token), address(replacement), "replaced");
    }
}
