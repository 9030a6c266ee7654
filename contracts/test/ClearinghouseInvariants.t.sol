// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Clearinghouse} from "../Clearinghouse.sol";
import {MarginEngine} from "../MarginEngine.sol";
import {OracleAdapter} from "../OracleAdapter.sol";
import {ScenarioRegistry} from "../ScenarioRegistry.sol";
import {MockAggregator} from "../mocks/MockAggregator.sol";
import {MockToken} from "../mocks/MockToken.sol";
import {ScenarioMerkle} from "./utils/ScenarioMerkle.sol";
import {TestBase} from "./utils/Vm.sol";

/// @notice The log-recording cheatcodes the handler uses beyond utils/Vm.sol.
interface VmInvariantCheats {
    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }

    function recordLogs() external;
    function getRecordedLogs() external returns (Log[] memory);
}

/// @notice The only fuzz target: bounded actions on 4 traders, the backstop and a keeper
/// against a perps-only clearinghouse (one ETH asset, 8 scenarios, zero vol shifts, k = 2,
/// IM = 1 * ES at 75%, MM = 1 * ES at 75%). It owns the mock stablecoin and the ETH feed.
/// Every action records the logs it causes and counts the Liquidated events among them.
contract ClearinghouseInvariantHandler is TestBase {
    int256 internal constant WAD = 1e18;
    uint256 internal constant ETH = 0;
    uint256 internal constant N = 8;
    /// @dev kNum = N * (10_000 - 7500) for both IM and the registry's ES level.
    int256 internal constant K_NUM = 20_000;
    int256 internal constant SCALE = 1e12;
    int256 internal constant MIN_PRICE = 1000e8;
    int256 internal constant MAX_PRICE = 3000e8;

    VmInvariantCheats internal constant cheats = VmInvariantCheats(address(vm));

    Clearinghouse public immutable clearinghouse;
    MockToken public immutable usdc;
    MockAggregator public immutable ethFeed;
    OracleAdapter public immutable oracle;
    address public immutable settler;
    address public immutable backstop;
    address public immutable keeper;
    uint64 public immutable epoch;

    /// @dev 4 traders, then the backstop, then the keeper.
    address[6] internal _accounts;
    bytes32[3][8] internal _proofs;

    // ------------------------------------------------------------ ghosts

    /// @notice Collateral deposited / withdrawn through the handler (token decimals).
    uint256 public ghostDeposited;
    uint256 public ghostWithdrawn;
    /// @notice Successful liquidate calls, and Liquidated events seen in any action's logs.
    uint256 public ghostLiquidations;
    uint256 public ghostLiquidatedEvents;
    /// @notice Sums over the waterfall events (WAD): BadDebt, then what the insurance fund,
    /// socialization and the backstop each took of it.
    int256 public ghostBadDebt;
    int256 public ghostInsuranceCovered;
    int256 public ghostSocialized;
    int256 public ghostBackstopAbsorbed;
    uint256 public ghostPartialLiquidations;
    uint256 public ghostFundings;
    uint256 public ghostInsuranceFunded;
    /// @notice Set if a liquidate call succeeded although isLiquidatable (with the handler's
    /// worst-two certificate, the strongest one) said the account was healthy.
    bool public ghostLiquidatedHealthy;
    /// @notice Times the handler's own MM > equity computation disagreed with isLiquidatable.
    uint256 public ghostCheckMismatches;
    /// @notice Reverts the handler did not expect (anything but InsufficientInitialMargin on
    /// a trade and AccountHealthy on a probe of a healthy account).
    uint256 public ghostUnexpectedReverts;
    bytes public lastUnexpectedRevert;
    uint256 public ghostTrades;
    uint256 public ghostMarginRejections;
    uint256 public ghostWithdrawals;
    uint256 public ghostHealthyProbes;
    /// @notice Trades that left a side flat with negative cash: the documented limitation
    /// that a risk-reducing trade is not margin-checked (docs/protocol.md), e.g. an
    /// underwater account closing at market. Such an account is flagged in `knownDebt` until
    /// a liquidation moves the deficit to the backstop.
    uint256 public ghostUnderwaterCloses;
    mapping(address account => bool) public knownDebt;

    modifier countLiquidatedEvents() {
        cheats.recordLogs();
        _;
        VmInvariantCheats.Log[] memory logs = cheats.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter != address(clearinghouse) || logs[i].topics.length == 0) continue;
            bytes32 topic = logs[i].topics[0];
            if (topic == Clearinghouse.Liquidated.selector) {
                ++ghostLiquidatedEvents;
            } else if (topic == Clearinghouse.BadDebt.selector) {
                ghostBadDebt += abi.decode(logs[i].data, (int256));
            } else if (topic == Clearinghouse.BadDebtCoveredByInsurance.selector) {
                (int256 amount,) = abi.decode(logs[i].data, (int256, int256));
                ghostInsuranceCovered += amount;
            } else if (topic == Clearinghouse.LossSocialized.selector) {
                (int256 amount,,) = abi.decode(logs[i].data, (int256, int256, int256));
                ghostSocialized += amount;
            } else if (topic == Clearinghouse.BadDebtAbsorbedByBackstop.selector) {
                ghostBackstopAbsorbed += abi.decode(logs[i].data, (int256));
            }
        }
    }

    constructor(
        Clearinghouse clearinghouse_,
        MockToken usdc_,
        MockAggregator ethFeed_,
        address settler_,
        address[4] memory traders,
        address keeper_,
        uint64 epoch_
    ) {
        clearinghouse = clearinghouse_;
        usdc = usdc_;
        ethFeed = ethFeed_;
        oracle = clearinghouse_.oracle();
        settler = settler_;
        backstop = clearinghouse_.backstop();
        keeper = keeper_;
        epoch = epoch_;
        for (uint256 i; i < 4; ++i) {
            _accounts[i] = traders[i];
        }
        _accounts[4] = backstop;
        _accounts[5] = keeper_;
        bytes32[] memory leaves = ScenarioMerkle.leaves(_scenarios());
        for (uint256 i; i < N; ++i) {
            bytes32[] memory path = ScenarioMerkle.proof(leaves, i);
            for (uint256 j; j < 3; ++j) {
                _proofs[i][j] = path[j];
            }
        }
    }

    // ------------------------------------------------------------ actions

    /// @notice Mint, approve and deposit 1 .. 50_000 USDC to one of the 6 accounts.
    function deposit(uint256 accountSeed, uint256 amount) external countLiquidatedEvents {
        address account = _accounts[accountSeed % 6];
        amount = _bound(amount, 1e6, 50_000e6);
        usdc.mint(account, amount);
        vm.startPrank(account);
        usdc.approve(address(clearinghouse), amount);
        clearinghouse.deposit(amount);
        vm.stopPrank();
        ghostDeposited += amount;
    }

    /// @notice Add 1 .. 1_000 USDC to the insurance fund.
    function fundInsurance(uint256 amount) external countLiquidatedEvents {
        amount = _bound(amount, 1e6, 1_000e6);
        usdc.mint(address(this), amount);
        usdc.approve(address(clearinghouse), amount);
        clearinghouse.fundInsurance(amount);
        ghostDeposited += amount;
        ++ghostInsuranceFunded;
    }

    /// @notice One funding interval later (the price feed refreshed), apply a funding rate
    /// of -1% .. +1% of the mark.
    function applyFunding(uint256 rateSeed) external countLiquidatedEvents {
        vm.warp(block.timestamp + clearinghouse.FUNDING_INTERVAL());
        (, int256 answer,,,) = ethFeed.latestRoundData();
        ethFeed.setAnswer(answer, block.timestamp);
        int256 rate = int256(_bound(rateSeed, 0, 0.02e18)) - 0.01e18;
        vm.prank(settler);
        try clearinghouse.applyFunding(ETH, rate) {
            ++ghostFundings;
        } catch (bytes memory reason) {
            _unexpected(reason);
        }
    }

    /// @notice Withdraw part of an account's cash with a valid margin certificate; skipped
    /// when the account would end below initial margin.
    function withdraw(uint256 accountSeed, uint256 amount) external countLiquidatedEvents {
        address account = _accounts[accountSeed % 6];
        int256 cashWad = clearinghouse.cash(account);
        if (cashWad < SCALE) return;
        amount = _bound(amount, 1, uint256(cashWad / SCALE));
        int256 size = clearinghouse.positionOf(account, ETH).size;
        if (size != 0) {
            int256 mark = oracle.price(ETH);
            int256 equityAfter = clearinghouse.equity(account) - int256(amount) * SCALE;
            if (_initialMargin(size, mark) > equityAfter) return;
        }
        MarginEngine.MarginCertificate memory margin = _margin(size);
        vm.prank(account);
        try clearinghouse.withdraw(amount, margin) {
            ghostWithdrawn += amount;
            ++ghostWithdrawals;
        } catch (bytes memory reason) {
            _unexpected(reason);
        }
    }

    /// @notice A trader buys 0.01 .. 10 ETH from another at the mark +- 1%, both with the
    /// optimal-threshold certificate on their position after the trade; IM rejections are
    /// ignored.
    function settleTrade(uint256 buyerSeed, uint256 sellerSeed, uint256 sizeSeed, uint256 bps)
        external
        countLiquidatedEvents
    {
        uint256 b = buyerSeed % 4;
        address buyer = _accounts[b];
        address seller = _accounts[(b + 1 + sellerSeed % 3) % 4];
        int256 buyerBefore = clearinghouse.positionOf(buyer, ETH).size;
        int256 sellerBefore = clearinghouse.positionOf(seller, ETH).size;
        int256 size = int256(_bound(sizeSeed, 0.01e18, 10e18));
        // One trade in four closes a side exactly (a short buyer or a long seller).
        if (sizeSeed % 4 == 0) {
            if (buyerBefore < 0) size = -buyerBefore;
            else if (sellerBefore > 0) size = sellerBefore;
        }
        int256 price = oracle.price(ETH) * int256(_bound(bps, 9900, 10_100)) / 10_000;
        // A certificate only for a side whose risk grows (the contract ignores the other).
        MarginEngine.MarginCertificate memory buyerMargin;
        MarginEngine.MarginCertificate memory sellerMargin;
        if (_abs(buyerBefore + size) > _abs(buyerBefore)) {
            buyerMargin = _margin(buyerBefore + size);
        }
        if (_abs(sellerBefore - size) > _abs(sellerBefore)) {
            sellerMargin = _margin(sellerBefore - size);
        }
        vm.prank(settler);
        try clearinghouse.settleTrade(buyer, seller, ETH, size, price, buyerMargin, sellerMargin) {
            ++ghostTrades;
            _flagDebtAfterClose(buyer, buyerBefore + size);
            _flagDebtAfterClose(seller, sellerBefore - size);
        } catch (bytes memory reason) {
            if (bytes4(reason) == Clearinghouse.InsufficientInitialMargin.selector) {
                ++ghostMarginRejections;
            } else {
                _unexpected(reason);
            }
        }
    }

    /// @notice Move the ETH price by -8% .. +8%, kept within 1000 .. 3000.
    function movePrice(uint256 bps) external countLiquidatedEvents {
        (, int256 answer,,,) = ethFeed.latestRoundData();
        int256 change = int256(_bound(bps, 0, 1600)) - 800;
        answer = answer * (10_000 + change) / 10_000;
        if (answer < MIN_PRICE) answer = MIN_PRICE;
        if (answer > MAX_PRICE) answer = MAX_PRICE;
        ethFeed.setAnswer(answer, block.timestamp);
    }

    /// @notice Build the strongest liquidation certificate of a trader (its 2 worst scenarios,
    /// from clearinghouse.scenarioLoss) and liquidate it as the keeper if it shows MM > equity,
    /// closing a fraction from 1% up to what the close-factor rule allows (all of an account
    /// with negative equity). A healthy account is probed too: that liquidate call must
    /// revert AccountHealthy.
    function liquidate(uint256 accountSeed, uint256 fractionSeed) external countLiquidatedEvents {
        address account = _accounts[accountSeed % 4];
        // Nothing to check on a flat account without debt (MM = 0 <= equity = cash).
        if (clearinghouse.openPositionCount(account) == 0 && clearinghouse.cash(account) >= 0) {
            return;
        }
        (uint256 a, uint256 b, int256 worstSum) = _worstTwo(account);
        MarginEngine.LiquidationCertificate memory certificate = _liquidationCertificate(a, b);
        MarginEngine.MarginCheck memory check = clearinghouse.isLiquidatable(account, certificate);
        // MM factor 1: MM = ES lower bound = floor(10_000 * (La + Lb) / kNum).
        int256 ownMargin = _floorDiv(10_000 * worstSum, K_NUM);
        bool ownLiquidatable = ownMargin > clearinghouse.equity(account);
        if (ownLiquidatable != check.liquidatable) ++ghostCheckMismatches;

        int256 fraction = WAD;
        if (check.equity >= 0) {
            int256 size = clearinghouse.positionOf(account, ETH).size;
            int256 value = int256(_abs(_floorDiv(size * oracle.price(ETH), WAD)));
            int256 maxFraction = clearinghouse.maxLiquidationFraction(check, value);
            fraction = int256(_bound(fractionSeed, 0.01e18, uint256(maxFraction)));
        }
        vm.prank(keeper);
        try clearinghouse.liquidate(account, certificate, fraction) {
            ++ghostLiquidations;
            if (fraction < WAD) ++ghostPartialLiquidations;
            knownDebt[account] = false;
            if (!check.liquidatable) ghostLiquidatedHealthy = true;
        } catch (bytes memory reason) {
            if (check.liquidatable) {
                _unexpected(reason);
            } else if (bytes4(reason) == Clearinghouse.AccountHealthy.selector) {
                ++ghostHealthyProbes;
            } else {
                _unexpected(reason);
            }
        }
    }

    // ------------------------------------------------------------ views for the test

    function accountAt(uint256 i) external view returns (address) {
        return _accounts[i];
    }

    // ------------------------------------------------------------ internal helpers

    function _flagDebtAfterClose(address account, int256 sizeAfter) internal {
        if (sizeAfter == 0 && clearinghouse.cash(account) < 0) {
            knownDebt[account] = true;
            ++ghostUnderwaterCloses;
        }
    }

    function _abs(int256 x) internal pure returns (uint256) {
        return x < 0 ? uint256(-x) : uint256(x);
    }

    /// @dev The ETH return of scenario i (the margin fixture's): the worst for a long are
    /// index 3 (-20%) and 6 (-15%), for a short index 7 (+10%) and 4 (+5%).
    function _returns() internal pure returns (int256[8] memory) {
        return [
            int256(-0.087654321987654321e18),
            -0.05e18,
            0.02e18,
            -0.2e18,
            0.05e18,
            -0.012345678901234567e18,
            -0.15e18,
            0.1e18
        ];
    }

    function _unexpected(bytes memory reason) internal {
        ++ghostUnexpectedReverts;
        lastUnexpectedRevert = reason;
    }

    function _scenarios() internal pure returns (int256[][] memory s) {
        int256[8] memory r = _returns();
        s = new int256[][](N);
        for (uint256 i; i < N; ++i) {
            s[i] = new int256[](1);
            s[i][0] = r[i];
        }
    }

    /// @dev The two worst scenarios of `account` (a < b) by clearinghouse.scenarioLoss, and
    /// the sum of their losses. A perp's loss is monotone in the return, so only the two
    /// lowest and the two highest returns (indices 3, 4, 6, 7) can be the worst two: four
    /// scenarioLoss calls instead of eight keep the run short.
    function _worstTwo(address account_) internal view returns (uint256 a, uint256 b, int256) {
        uint256[4] memory candidates = [uint256(3), 4, 6, 7];
        int256[4] memory losses;
        int256[] memory spotReturns = new int256[](1);
        for (uint256 c; c < 4; ++c) {
            spotReturns[0] = _returns()[candidates[c]];
            losses[c] = clearinghouse.scenarioLoss(account_, spotReturns, new int256[](1));
        }
        // Positions (in `candidates`) of the largest and second largest loss.
        uint256 first;
        uint256 second = 1;
        if (losses[1] > losses[0]) (first, second) = (1, 0);
        for (uint256 c = 2; c < 4; ++c) {
            if (losses[c] > losses[first]) (first, second) = (c, first);
            else if (losses[c] > losses[second]) second = c;
        }
        (a, b) = first < second ? (first, second) : (second, first);
        return (candidates[a], candidates[b], losses[first] + losses[second]);
    }

    function _liquidationCertificate(uint256 a, uint256 b)
        internal
        view
        returns (MarginEngine.LiquidationCertificate memory c)
    {
        int256[8] memory r = _returns();
        c.epoch = epoch;
        c.indices = new uint256[](2);
        c.indices[0] = a;
        c.indices[1] = b;
        c.spotReturns = new int256[][](2);
        c.volShifts = new int256[][](2);
        c.proofs = new bytes32[][](2);
        for (uint256 i; i < 2; ++i) {
            c.spotReturns[i] = new int256[](1);
            c.spotReturns[i][0] = r[c.indices[i]];
            c.volShifts[i] = new int256[](1);
            c.proofs[i] = new bytes32[](3);
            for (uint256 j; j < 3; ++j) {
                c.proofs[i][j] = _proofs[c.indices[i]][j];
            }
        }
    }

    /// @dev Losses of a perp of `size` at `mark` in every scenario, as the contract computes
    /// them: ceil(-(size * floor(mark * r / WAD)) / WAD).
    function _losses(int256 size, int256 mark) internal pure returns (int256[] memory out) {
        int256[8] memory r = _returns();
        out = new int256[](N);
        for (uint256 i; i < N; ++i) {
            out[i] = _ceilDiv(-(size * _floorDiv(mark * r[i], WAD)), WAD);
        }
    }

    function _secondLargest(int256[] memory values) internal pure returns (int256) {
        int256 first = type(int256).min;
        int256 second = type(int256).min;
        for (uint256 i; i < values.length; ++i) {
            if (values[i] > first) {
                second = first;
                first = values[i];
            } else if (values[i] > second) {
                second = values[i];
            }
        }
        return second;
    }

    /// @dev IM (factor 1) of a perp of `size` at `mark` at the optimal threshold.
    function _initialMargin(int256 size, int256 mark) internal pure returns (int256) {
        int256[] memory losses = _losses(size, mark);
        int256 t = _secondLargest(losses);
        int256 excess;
        for (uint256 i; i < N; ++i) {
            if (losses[i] > t) excess += losses[i] - t;
        }
        return t + _ceilDiv(10_000 * excess, K_NUM);
    }

    /// @dev A margin certificate of all 8 scenarios in index order, with the optimal
    /// threshold for a perp of `size` at the current mark.
    function _margin(int256 size) internal view returns (MarginEngine.MarginCertificate memory c) {
        int256[][] memory s = _scenarios();
        c.epoch = epoch;
        c.threshold = _secondLargest(_losses(size, oracle.price(ETH)));
        c.indices = new uint256[](N);
        for (uint256 i; i < N; ++i) {
            c.indices[i] = i;
        }
        c.spotReturns = s;
        c.volShifts = ScenarioMerkle.zeros(s);
    }

    function _floorDiv(int256 a, int256 b) internal pure returns (int256 q) {
        q = a / b;
        if (a % b != 0 && ((a < 0) != (b < 0))) q -= 1;
    }

    function _ceilDiv(int256 a, int256 b) internal pure returns (int256) {
        return -_floorDiv(-a, b);
    }

    function _bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        return lo + x % (hi - lo + 1);
    }
}

/// @notice Invariants of the perps-only clearinghouse under the handler's random actions.
contract ClearinghouseInvariantTest is TestBase {
    uint256 internal constant ETH = 0;
    uint32 internal constant HEARTBEAT = 3600;
    uint32 internal constant N = 8;
    uint16 internal constant ALPHA = 7500;
    /// @dev Rounding surplus bound (WAD wei, 1e-12 of a dollar): each charge settlement rounds
    /// at most 2 wei in the contract's favour, each socialization at most OI / 1e18 + 1 wei.
    int256 internal constant MAX_SURPLUS = 1e6;
    int256 internal constant SCALE = 1e12;

    address internal owner = address(this);
    address internal settler = address(0x5E771E);
    address internal backstop = address(0xBAC5);
    address internal keeper = address(0x4EE9);
    address[4] internal traders =
        [address(0xA11CE), address(0xB0B), address(0xCA201), address(0xDA7E)];

    MockToken internal usdc;
    MockAggregator internal ethFeed;
    OracleAdapter internal oracle;
    ScenarioRegistry internal registry;
    Clearinghouse internal clearinghouse;
    ClearinghouseInvariantHandler internal handler;

    /// @dev The fixture's returns: worst for a long are -20% and -15%, for a short +10%, +5%.
    function _returns() internal pure returns (int256[8] memory) {
        return [
            int256(-0.087654321987654321e18),
            -0.05e18,
            0.02e18,
            -0.2e18,
            0.05e18,
            -0.012345678901234567e18,
            -0.15e18,
            0.1e18
        ];
    }

    function setUp() public {
        vm.warp(1_700_000_000);
        usdc = new MockToken(owner, "Mock USD Coin", "mUSDC", 6);
        ethFeed = new MockAggregator(owner, 8, "ETH / USD");
        ethFeed.setAnswer(2000e8, block.timestamp);
        oracle = new OracleAdapter(owner);
        oracle.setFeed(ETH, ethFeed, HEARTBEAT);
        registry = new ScenarioRegistry(owner);
        clearinghouse = new Clearinghouse(owner, usdc, oracle, registry, backstop);
        clearinghouse.setSettler(settler, true);
        clearinghouse.setRiskParameters(1e18, 0.01e18, 0.5e18);
        clearinghouse.setInitialMarginParameters(1e18, ALPHA);

        int256[8] memory r = _returns();
        int256[][] memory s = new int256[][](N);
        for (uint256 i; i < N; ++i) {
            s[i] = new int256[](1);
            s[i][0] = r[i];
        }
        uint64 epoch =
            registry.postScenarioSet(ScenarioMerkle.root(ScenarioMerkle.leaves(s)), N, ALPHA, 1);
        registry.publishScenarios(epoch, 0, s, ScenarioMerkle.zeros(s));

        handler = new ClearinghouseInvariantHandler(
            clearinghouse, usdc, ethFeed, settler, traders, keeper, epoch
        );
        usdc.transferOwnership(address(handler));
        ethFeed.transferOwnership(address(handler));

        // Seed every trader and the backstop so that trades start early in each run.
        for (uint256 i; i < 5; ++i) {
            handler.deposit(i, 10_000e6);
        }
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @dev The 4 traders, the backstop and the keeper.
    function _accounts() internal view returns (address[6] memory a) {
        for (uint256 i; i < 4; ++i) {
            a[i] = traders[i];
        }
        a[4] = backstop;
        a[5] = keeper;
    }

    /// @notice 1. Conservation: the collateral held (WAD) equals the insurance fund plus the
    /// sum over accounts of cash - costBasis - charges owed (the portfolio balance), up to a
    /// rounding surplus of at most MAX_SURPLUS wei that the contract keeps: funding and
    /// socialized losses round every charge up and every credit down, so the surplus is
    /// never negative. The collateral held equals net deposits.
    /// @dev "cash + costBasis" is not conserved: a reduction realizes its PnL into cash
    /// (Clearinghouse._fill), so the conserved quantity is cash - costBasis (equity = cash +
    /// size * mark - costBasis - charges).
    function invariant_conservation() public view {
        address[6] memory a = _accounts();
        int256 total = clearinghouse.insuranceFund();
        for (uint256 i; i < 6; ++i) {
            total += clearinghouse.portfolioOf(a[i]).balance;
        }
        uint256 balance = usdc.balanceOf(address(clearinghouse));
        int256 surplus = int256(balance) * SCALE - total;
        assertTrue(surplus >= 0, "collateral held < insurance fund + sum of balances");
        assertTrue(surplus <= MAX_SURPLUS, "rounding surplus above MAX_SURPLUS");
        assertEq(
            balance, handler.ghostDeposited() - handler.ghostWithdrawn(), "balance != net deposits"
        );
    }

    /// @notice 5. The waterfall accounts for every wei of bad debt: what the BadDebt events
    /// wrote off equals what the insurance fund, socialization and the backstop took.
    function invariant_waterfallAccountsForBadDebt() public view {
        assertEq(
            handler.ghostBadDebt(),
            handler.ghostInsuranceCovered() + handler.ghostSocialized()
                + handler.ghostBackstopAbsorbed(),
            "bad debt != insurance + socialized + backstop"
        );
    }

    /// @notice 2. Positions are zero-sum.
    function invariant_positionsZeroSum() public view {
        address[6] memory a = _accounts();
        int256 total;
        for (uint256 i; i < 6; ++i) {
            total += clearinghouse.positionOf(a[i], ETH).size;
        }
        assertEq(total, int256(0), "sum of ETH perp sizes");
    }

    /// @notice 3. Every account but the backstop without an open position has cash >= 0; the
    /// only exception is the documented one (docs/protocol.md: a risk-reducing trade is not
    /// margin-checked), an account the handler saw closed underwater by a trade and that no
    /// liquidation has cleaned up since. A liquidation always leaves cash >= 0 behind.
    function invariant_flatAccountsHaveNoDebt() public view {
        address[6] memory a = _accounts();
        for (uint256 i; i < 6; ++i) {
            if (a[i] == backstop || clearinghouse.openPositionCount(a[i]) != 0) continue;
            int256 c = clearinghouse.cash(a[i]);
            if (c < 0 && !handler.knownDebt(a[i])) {
                revert(
                    string.concat(
                        "flat account ", vm.toString(a[i]), " has negative cash ", vm.toString(c)
                    )
                );
            }
        }
    }

    /// @notice 4. Every Liquidated event is one of the handler's successful liquidations, none
    /// was accepted for an account the strongest certificate showed healthy, the handler's
    /// own MM > equity agrees with isLiquidatable, and no handler call reverted unexpectedly
    /// (its margin and liquidation certificates are always valid).
    function invariant_liquidationsAccounted() public view {
        assertEq(handler.ghostLiquidatedEvents(), handler.ghostLiquidations(), "Liquidated events");
        assertTrue(!handler.ghostLiquidatedHealthy(), "liquidated a healthy account");
        assertEq(handler.ghostCheckMismatches(), 0, "own MM > equity != isLiquidatable");
        if (handler.ghostUnexpectedReverts() != 0) {
            revert(
                string.concat(
                    "unexpected revert: ", vm.toString(bytes32(handler.lastUnexpectedRevert()))
                )
            );
        }
    }

    /// @notice Print what the run exercised (shown with -vv).
    function afterInvariant() public view {
        _log("trades", handler.ghostTrades());
        _log("IM rejections", handler.ghostMarginRejections());
        _log("withdrawals", handler.ghostWithdrawals());
        _log("liquidations", handler.ghostLiquidations());
        _log("healthy probes", handler.ghostHealthyProbes());
        _log("underwater closes", handler.ghostUnderwaterCloses());
        _log("partial liquidations", handler.ghostPartialLiquidations());
        _log("fundings", handler.ghostFundings());
        _log("insurance top-ups", handler.ghostInsuranceFunded());
        _log("bad debt (WAD)", uint256(handler.ghostBadDebt()));
        _log("socialized (WAD)", uint256(handler.ghostSocialized()));
    }

    function _log(string memory label, uint256 value) internal view {
        address console = 0x000000000000000000636F6e736F6c652e6c6f67;
        (bool ok,) =
            console.staticcall(abi.encodeWithSignature("log(string,uint256)", label, value));
        ok;
    }
}
