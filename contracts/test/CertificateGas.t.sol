// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Clearinghouse} from "../Clearinghouse.sol";
import {IClearinghouse} from "../interfaces/IClearinghouse.sol";
import {IMarginEngine} from "../interfaces/IMarginEngine.sol";
import {ExpectedShortfall} from "../libraries/ExpectedShortfall.sol";
import {ClearinghouseFixture} from "./Clearinghouse.t.sol";
import {ScenarioMerkle} from "./utils/ScenarioMerkle.sol";

/// @notice Gas of the certificate paths and of liquidation on a one-perp account, recorded as
/// forge gas snapshots in groups "certificates" and "liquidation" (snapshots/<group>.json)
/// and never asserted: gas is a benchmark. Every test asserts that the measured call did
/// what it is named after, so a revert cannot be measured. `make bench` tabulates them
/// (benchmarks/gas_table.py).
///
/// The account is the fixture's Alice, long 1 ETH at 2000 with 100 of cash against Bob. On
/// top of the fixture's epoch, an epoch of N scenarios (one asset, zero vol shifts, spot
/// returns spread pseudo-randomly over [-25%, +25%)) at ES 97.5% becomes current: k = N / 40,
/// so a liquidation certificate names ceil(k) witnesses, here the worst ones.
///
/// Each number is the gas of one call as `snapshotGasLastCall` reports it in isolation mode
/// (`isolate = true` on the test contracts below): the call runs as its own transaction, so
/// the number is that transaction's gas used, with cold accounts and storage, the 21,000
/// base cost and the calldata cost included and refunds deducted. Forge isolates only
/// non-static calls, so the view `isLiquidatable` is sent with a low-level call.
abstract contract CertificateGasTest is ClearinghouseFixture {
    uint16 internal constant MM_ALPHA = 9750;
    uint16 internal constant IM_ALPHA = 9900;
    int256 internal constant MARK = 2000e18;

    /// @notice The epoch of the N scenarios.
    uint64 internal epochN;

    /// @notice N, the number of scenarios.
    function _n() internal pure virtual returns (uint256);

    function setUp() public override {
        super.setUp();
        epochN = _postScenarioSet(_scenarioSet(), MM_ALPHA, _n() / 2);
    }

    // ------------------------------------------------------------ certificates

    /// @notice Check Alice's liquidation certificate without liquidating (ETH at 1950).
    function test_Gas_IsLiquidatable() public {
        _setEthPrice(1950e8);
        IMarginEngine.LiquidationCertificate memory cert = _liquidationCertificate();
        (bool ok, bytes memory result) =
            address(clearinghouse).call(abi.encodeCall(Clearinghouse.isLiquidatable, (alice, cert)));
        vm.snapshotGasLastCall(
            "certificates", _name("liquidation certificate check (isLiquidatable)", true)
        );
        assertTrue(ok, "isLiquidatable succeeded");
        IMarginEngine.MarginCheck memory check = abi.decode(result, (IMarginEngine.MarginCheck));
        assertEq(check.equity, 50e18, "equity");
        assertTrue(check.liquidatable, "alice is liquidatable");
    }

    /// @notice Alice (1,100 of cash, IM = ES at 99%) withdraws 1 USDC with her margin
    /// certificate: all N scenarios and the optimal threshold.
    function test_Gas_Withdraw_InitialMargin() public {
        clearinghouse.setInitialMarginParameters(WAD, IM_ALPHA);
        _deposit(alice, 1000e6);
        IMarginEngine.MarginCertificate memory margin = _marginCertificate(1e18);
        vm.expectEmit(true, true, false, false, address(clearinghouse));
        emit IClearinghouse.InitialMarginChecked(alice, epochN, 0, 0);
        vm.prank(alice);
        clearinghouse.withdraw(1e6, margin);
        vm.snapshotGasLastCall(
            "certificates", _name("margin certificate (Rockafellar-Uryasev), withdraw", false)
        );
        assertEq(clearinghouse.cash(alice), 1099e18, "alice cash");
        assertEq(usdc.balanceOf(alice), 1e6, "alice withdrew");
    }

    /// @notice Carol opens long 0.5 ETH from Alice, who reduces: one margin certificate
    /// (Carol's, all N scenarios and the optimal threshold), IM = ES at 99%.
    function test_Gas_SettleTrade_InitialMargin() public {
        clearinghouse.setInitialMarginParameters(WAD, IM_ALPHA);
        _deposit(carol, 1000e6);
        IMarginEngine.MarginCertificate memory margin = _marginCertificate(0.5e18);
        vm.expectEmit(true, true, false, false, address(clearinghouse));
        emit IClearinghouse.InitialMarginChecked(carol, epochN, 0, 0);
        vm.prank(settler);
        clearinghouse.settleTrade(carol, alice, ETH, 0.5e18, 2000e18, margin, _noMargin());
        vm.snapshotGasLastCall(
            "certificates",
            _name("margin certificate (Rockafellar-Uryasev), settleTrade, one side", false)
        );
        _assertPosition(carol, 0.5e18, 1000e18, 1);
    }

    // ------------------------------------------------------------ liquidation

    /// @notice ETH 2000 -> 1950: equity 50 < MM; Alice is closed in full into the backstop and
    /// the penalty (19.5) is split between the keeper and the insurance fund.
    function test_Gas_Liquidate_RewardPaid() public {
        _setEthPrice(1950e8);
        IMarginEngine.LiquidationCertificate memory cert = _liquidationCertificate();
        vm.prank(keeper);
        IMarginEngine.MarginCheck memory check = clearinghouse.liquidate(alice, cert, WAD);
        vm.snapshotGasLastCall("liquidation", _name("liquidate, reward paid", true));
        assertEq(check.equity, 50e18, "equity");
        assertTrue(check.liquidatable, "liquidatable");
        _assertPosition(alice, 0, 0, 0);
        _assertPosition(backstop, 1e18, 1950e18, 1);
        assertEq(clearinghouse.cash(keeper), 9.75e18, "keeper reward");
    }

    /// @notice ETH 2000 -> 1800: equity -100. Closing leaves 100 of bad debt: the insurance
    /// fund pays 40 and 60 is socialized over ETH's open interest.
    function test_Gas_Liquidate_BadDebt() public {
        _fundInsurance(40e6);
        _setEthPrice(1800e8);
        IMarginEngine.LiquidationCertificate memory cert = _liquidationCertificate();
        vm.prank(keeper);
        IMarginEngine.MarginCheck memory check = clearinghouse.liquidate(alice, cert, WAD);
        vm.snapshotGasLastCall("liquidation", _name("liquidate, bad debt", true));
        assertEq(check.equity, -100e18, "equity");
        _assertPosition(alice, 0, 0, 0);
        assertEq(clearinghouse.cash(alice), 0, "alice cash");
        assertEq(clearinghouse.cash(keeper), 0, "no keeper reward");
        assertEq(clearinghouse.insuranceFund(), 0, "insurance fund spent");
        (, int256 lossIndex,,) = clearinghouse.markets(ETH);
        assertTrue(lossIndex > 0, "the rest socialized");
    }

    // ------------------------------------------------------------ helpers

    /// @notice Scenario i: one spot return, keccak256("scenario", i) mapped into
    /// [-25%, +25%).
    function _scenarioSet() internal pure returns (int256[][] memory s) {
        s = new int256[][](_n());
        for (uint256 i; i < s.length; ++i) {
            s[i] = new int256[](1);
            s[i][0] = int256(uint256(keccak256(abi.encode("scenario", i))) % 0.5e18) - 0.25e18;
        }
    }

    /// @notice The `count` scenarios with the lowest spot returns (a long's largest losses),
    /// in increasing index order, and the highest return among them.
    function _worst(int256[][] memory s, uint256 count)
        internal
        pure
        returns (uint256[] memory indices, int256 boundary)
    {
        bool[] memory taken = new bool[](s.length);
        for (uint256 c; c < count; ++c) {
            uint256 lowest = type(uint256).max;
            for (uint256 i; i < s.length; ++i) {
                if (!taken[i] && (lowest == type(uint256).max || s[i][0] < s[lowest][0])) {
                    lowest = i;
                }
            }
            taken[lowest] = true;
            boundary = s[lowest][0];
        }
        indices = new uint256[](count);
        uint256 j;
        for (uint256 i; i < s.length; ++i) {
            if (taken[i]) indices[j++] = i;
        }
    }

    /// @notice ceil(k) at `alphaBps` over the N scenarios.
    function _witnessCount(uint16 alphaBps) internal pure returns (uint256) {
        (, uint256 whole, uint256 frac) = ExpectedShortfall.tailWeight(_n(), alphaBps);
        return ExpectedShortfall.witnessCount(whole, frac);
    }

    /// @notice The certificate of the ceil(k) worst scenarios for a long at MM's level.
    function _liquidationCertificate()
        internal
        view
        returns (IMarginEngine.LiquidationCertificate memory)
    {
        int256[][] memory s = _scenarioSet();
        (uint256[] memory indices,) = _worst(s, _witnessCount(MM_ALPHA));
        return ScenarioMerkle.certificate(epochN, s, indices);
    }

    /// @notice The margin certificate of a long of `size` at MARK, at IM's level, with the
    /// optimal threshold: its ceil(k)-th largest loss.
    function _marginCertificate(int256 size)
        internal
        view
        returns (IMarginEngine.MarginCertificate memory)
    {
        int256[][] memory s = _scenarioSet();
        (, int256 boundary) = _worst(s, _witnessCount(IM_ALPHA));
        return ScenarioMerkle.marginCertificate(epochN, s, _loss(size, MARK, boundary));
    }

    /// @notice `operation`, N and, for liquidation certificates, the witness count.
    function _name(string memory operation, bool witnesses) internal pure returns (string memory) {
        string memory name = string.concat(operation, ", N = ", vm.toString(_n()));
        if (!witnesses) return name;
        return string.concat(name, ", ", vm.toString(_witnessCount(MM_ALPHA)), " witnesses");
    }
}

/// forge-config: default.isolate = true
contract CertificateGasN250Test is CertificateGasTest {
    function _n() internal pure override returns (uint256) {
        return 250;
    }
}

/// forge-config: default.isolate = true
contract CertificateGasN1000Test is CertificateGasTest {
    function _n() internal pure override returns (uint256) {
        return 1000;
    }
}
