// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Clearinghouse} from "../../Clearinghouse.sol";
import {OracleAdapter} from "../../OracleAdapter.sol";
import {ScenarioRegistry} from "../../ScenarioRegistry.sol";
import {SeriesRegistry} from "../../SeriesRegistry.sol";
import {MockAggregator} from "../../mocks/MockAggregator.sol";
import {MockToken} from "../../mocks/MockToken.sol";
import {TestBase} from "./Vm.sol";

/// @notice The whole system as the suites that exercise the clearinghouse deploy it (the
/// base fixture, Uniswap v4-core's `Deployers` in spirit): `_deploySystem` deploys a
/// stablecoin (`_newStablecoin`: 6 decimals unless overridden), an 8-decimal ETH / USD feed
/// answering 2000 (oracle asset 0), the oracle adapter, the scenario registry and the
/// clearinghouse (which deploys its margin engine and series registry; forge links
/// `LiquidationLogic`), authorizes the settler and sets the risk parameters. The caller
/// warps to its start time first; each suite adds what it needs (implied-vol and reference
/// feeds, epochs, series, other parameters). The test contract owns everything.
abstract contract SystemFixture is TestBase {
    int256 internal constant WAD = 1e18;
    uint256 internal constant ETH = 0;
    uint32 internal constant HEARTBEAT = 3600;

    address internal owner = address(this);
    address internal settler = address(0x5E771E);
    address internal backstop = address(0xBAC5);
    address internal keeper = address(0x4EE9);
    address internal alice = address(0xA11CE);
    address internal bob = address(0xB0B);
    address internal carol = address(0xCA201);
    address internal dave = address(0xDA7E);

    MockToken internal usdc;
    MockAggregator internal ethFeed;
    OracleAdapter internal oracle;
    ScenarioRegistry internal registry;
    Clearinghouse internal clearinghouse;
    SeriesRegistry internal seriesRegistry;

    /// @notice Deploy and wire the system at the current block time, with MM factor
    /// `mmFactor`, liquidation penalty `penalty` and keeper share `keeperShare` (WAD).
    function _deploySystem(int256 mmFactor, int256 penalty, int256 keeperShare) internal {
        vm.label(settler, "settler");
        vm.label(backstop, "backstop");
        vm.label(keeper, "keeper");
        vm.label(alice, "alice");
        vm.label(bob, "bob");
        vm.label(carol, "carol");
        vm.label(dave, "dave");

        usdc = _newStablecoin();
        ethFeed = new MockAggregator(owner, 8, "ETH / USD");
        _setEthPrice(2000e8);
        oracle = new OracleAdapter(owner);
        oracle.setFeed(ETH, ethFeed, HEARTBEAT);
        registry = new ScenarioRegistry(owner);
        clearinghouse = new Clearinghouse(owner, usdc, oracle, registry, backstop);
        seriesRegistry = clearinghouse.seriesRegistry();
        clearinghouse.setSettler(settler, true);
        clearinghouse.setRiskParameters(mmFactor, penalty, keeperShare);
    }

    /// @notice The stablecoin the clearinghouse is deployed with.
    function _newStablecoin() internal virtual returns (MockToken) {
        return new MockToken(owner, "Mock USD Coin", "mUSDC", 6);
    }

    /// @notice The ETH / USD feed answers `answer` (8 decimals) now.
    function _setEthPrice(int256 answer) internal {
        ethFeed.setAnswer(answer, block.timestamp);
    }

    /// @notice Mint `amount` of the stablecoin (6 decimals) to `account` and deposit it.
    function _deposit(address account, uint256 amount) internal virtual {
        usdc.mint(account, amount);
        vm.startPrank(account);
        usdc.approve(address(clearinghouse), amount);
        clearinghouse.deposit(amount);
        vm.stopPrank();
    }
}
