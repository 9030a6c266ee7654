// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {
    IERC20,
    IERC20Metadata
} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {SignedMath} from "@openzeppelin/contracts/utils/math/SignedMath.sol";

import {ExpectedShortfall} from "./libraries/ExpectedShortfall.sol";
import {FixedPointMath} from "./libraries/FixedPointMath.sol";
import {OptionValuation} from "./libraries/OptionValuation.sol";
import {ScenarioLeaf} from "./libraries/ScenarioLeaf.sol";
import {OracleAdapter} from "./OracleAdapter.sol";
import {ScenarioRegistry} from "./ScenarioRegistry.sol";

/// @title Clearinghouse
/// @notice Cross-margined accounts of perps and European options against one stablecoin,
/// liquidated with Expected Shortfall certificates: a keeper names ceil(k) scenarios of the
/// current risk epoch with Merkle proofs, the contract revalues the account under each at
/// oracle marks, and if `maintenanceMarginFactor * (weighted average loss) > equity` the
/// account is liquidatable, whoever the keeper is. All amounts are WAD (1e18) signed
/// integers; see docs/protocol.md.
/// @dev Off-chain twins: `offchain/portfolio.py` (equity, scenario loss), `offchain/options.py`
/// (option values) and `offchain/expected_shortfall.py` (tail weight, lower bound).
contract Clearinghouse is Ownable {
    using SafeERC20 for IERC20;
    using FixedPointMath for int256;

    /// @notice A position: `size` in units (WAD, negative = short) and `costBasis`, the sum
    /// of size * price / WAD (rounded up) over the trades that built it (WAD, quote units).
    struct Position {
        int256 size;
        int256 costBasis;
    }

    /// @notice ceil(k) distinct scenarios of `epoch`, in strictly increasing index order, each
    /// with its leaf data (one WAD spot return and one WAD vol shift per asset) and its
    /// Merkle proof.
    struct LiquidationCertificate {
        uint64 epoch;
        uint256[] indices;
        int256[][] spotReturns;
        int256[][] volShifts;
        bytes32[][] proofs;
    }

    /// @notice All N scenarios of `epoch` with a threshold t: the Rockafellar-Uryasev upper
    /// bound of ES. The scenarios are in the leaf order of OpenZeppelin's multiproof of the
    /// whole tree (tree positions descending), so they verify against the root with no
    /// proof nodes. An empty certificate (no indices) stands for "none" on a side whose risk
    /// does not increase.
    struct MarginCertificate {
        uint64 epoch;
        int256 threshold;
        uint256[] indices;
        int256[][] spotReturns;
        int256[][] volShifts;
    }

    /// @notice What a certificate shows about an account at current oracle marks (WAD).
    struct MarginCheck {
        int256 equity;
        int256 expectedShortfallLowerBound;
        int256 maintenanceMargin;
        bool liquidatable;
    }

    /// @notice Oracle spot prices and implied vols of the assets an account's positions
    /// need (0 for the others, never read).
    struct Marks {
        int256[] spot;
        int256[] vol;
        /// @dev One option's value per held series, in the account's held order.
        int256[] optionValues;
    }

    int256 internal constant WAD = 1e18;
    /// @notice At most this many option series open per account but the backstop (bounds
    /// every loop over an account's options).
    uint256 public constant MAX_OPTION_POSITIONS = 16;

    IERC20 public immutable collateral;
    int256 public immutable collateralScale;
    OracleAdapter public immutable oracle;
    ScenarioRegistry public immutable registry;
    /// @notice The account that takes over liquidated positions at mark and absorbs bad debt.
    address public immutable backstop;

    /// @notice MM = maintenanceMarginFactor * ES (WAD; 1e18 means MM = ES).
    int256 public maintenanceMarginFactor;
    /// @notice Penalty charged on liquidation, as a WAD fraction of the closed notional.
    int256 public liquidationPenalty;
    /// @notice WAD fraction of the penalty paid to the keeper; the rest goes to the backstop.
    int256 public keeperShare;
    /// @notice IM = initialMarginFactor * ES at initialMarginAlphaBps (WAD; 1e18 means IM = ES).
    int256 public initialMarginFactor = 1e18;
    /// @notice The ES level of initial margin, in basis points (99% by default, above MM's).
    uint16 public initialMarginAlphaBps = 9900;

    /// @notice Listed option series; a series' id is its index.
    OptionValuation.Series[] internal _series;
    /// @notice The oracle price an expired series settles at, fixed by its first settlement
    /// (0 until then); both sides of every position settle at it.
    mapping(uint256 seriesId => int256) public settlementPrice;

    mapping(address account => int256) public cash;
    mapping(address account => uint256) public openPositionCount;
    mapping(address account => mapping(uint256 asset => Position)) private _positions;
    mapping(address account => mapping(uint256 seriesId => Position)) private _optionPositions;
    mapping(address account => uint256[]) private _heldSeries;
    mapping(address settler => bool) public isSettler;

    error ZeroAmount();
    error UnsupportedCollateralDecimals(uint8 decimals);
    error InvalidRiskParameters(int256 maintenanceMarginFactor, int256 penalty, int256 keeperShare);
    error NotSettler(address caller);
    error UnknownAsset(uint256 asset, uint256 assetCount);
    error UnknownSeries(uint256 seriesId, uint256 seriesCount);
    error InvalidSeries(uint256 asset, int256 strike, uint64 expiry);
    error SeriesExpired(uint256 seriesId, uint64 expiry);
    error SeriesNotExpired(uint256 seriesId, uint64 expiry);
    error TooManyOptionPositions(address account, uint256 limit);
    error SelfTrade(address account);
    error InvalidTrade(int256 size, int256 price);
    error InsufficientCash(address account, int256 cash, int256 requested);
    /// @notice A risk-increasing action of `account` came without a margin certificate.
    error MarginCertificateRequired(address account);
    error StaleEpoch(uint64 given, uint64 current);
    error CertificateLengthMismatch(uint256 indices, uint256 spotReturns, uint256 proofs);
    error WrongWitnessCount(uint256 expected, uint256 given);
    error DuplicateScenarioIndex(uint256 index);
    error ScenarioIndicesNotIncreasing(uint256 index, uint256 previous);
    error ScenarioIndexOutOfRange(uint256 index, uint256 n);
    error WrongAssetCount(uint256 index, uint256 length, uint256 expected);
    error InvalidScenarioProof(uint256 index);
    error AccountHealthy(address account, int256 equity, int256 maintenanceMargin);
    error InvalidInitialMarginParameters(int256 initialMarginFactor, uint16 alphaBps);
    /// @notice A risk-increasing action needs a margin certificate of all N scenarios.
    error WrongScenarioCount(uint256 expected, uint256 given);
    /// @notice The certificate's scenarios are not the committed set.
    error InvalidMarginCertificate(uint64 epoch);
    /// @notice After the action the account's equity would be below its initial margin.
    error InsufficientInitialMargin(address account, int256 equity, int256 initialMargin);
    /// @notice The backstop absorbs liquidations; it is never liquidated itself.
    error BackstopNotLiquidatable();
    /// @notice The account holds `asset`, which the scenarios (over `assetCount` assets) omit.
    error AssetNotInScenarioSet(uint256 asset, uint256 assetCount);

    event SettlerSet(address indexed settler, bool allowed);
    event RiskParametersSet(int256 maintenanceMarginFactor, int256 penalty, int256 keeperShare);
    event InitialMarginParametersSet(int256 initialMarginFactor, uint16 alphaBps);
    /// @notice `account` passed an initial-margin check after a risk-increasing action.
    event InitialMarginChecked(
        address indexed account, uint64 indexed epoch, int256 equity, int256 initialMargin
    );
    event Deposited(address indexed account, uint256 amount, int256 cashAfter);
    event Withdrawn(address indexed account, uint256 amount, int256 cashAfter);
    /// @notice A new option series `seriesId`.
    event SeriesListed(
        uint256 indexed seriesId, uint256 indexed asset, int256 strike, uint64 expiry, bool isCall
    );
    /// @notice `buyer` bought `size` of `asset`'s perp from `seller` at `price`;
    /// cost = size*price/WAD, rounded up.
    event TradeSettled(
        address indexed buyer,
        address indexed seller,
        uint256 indexed asset,
        int256 size,
        int256 price,
        int256 cost
    );
    /// @notice `buyer` bought `size` options of `seriesId` from `seller` at `premium` each.
    event OptionTradeSettled(
        address indexed buyer,
        address indexed seller,
        uint256 indexed seriesId,
        int256 size,
        int256 premium,
        int256 cost
    );
    /// @notice Expired `seriesId` settles at `price` (the oracle's at its first settlement).
    event SettlementPriceFixed(uint256 indexed seriesId, int256 price);
    /// @notice An expired option position of `account` settled at `settlementPrice`.
    event OptionSettled(
        address indexed account,
        uint256 indexed seriesId,
        int256 size,
        int256 settlementPrice,
        int256 payoff
    );
    /// @notice A perp position of `account` was closed at `markPrice` into the backstop.
    event PositionLiquidated(
        address indexed account, uint256 indexed asset, int256 size, int256 markPrice, int256 value
    );
    /// @notice An option position of `account` was closed at `markValue` (per option) into
    /// the backstop.
    event OptionPositionLiquidated(
        address indexed account,
        uint256 indexed seriesId,
        int256 size,
        int256 markValue,
        int256 value
    );
    /// @notice `keeper` liquidated `account` with a certificate on `epoch`. The witness
    /// scenarios are in the transaction's calldata.
    event Liquidated(
        address indexed account,
        address indexed keeper,
        uint64 indexed epoch,
        int256 equity,
        int256 expectedShortfallLowerBound,
        int256 maintenanceMargin,
        int256 keeperReward,
        int256 insuranceFee,
        int256 badDebt
    );

    modifier onlySettler() {
        if (!isSettler[msg.sender]) revert NotSettler(msg.sender);
        _;
    }

    constructor(
        address initialOwner,
        IERC20Metadata collateral_,
        OracleAdapter oracle_,
        ScenarioRegistry registry_,
        address backstop_
    ) Ownable(initialOwner) {
        uint8 decimals = collateral_.decimals();
        if (decimals > 18) revert UnsupportedCollateralDecimals(decimals);
        collateral = collateral_;
        collateralScale = int256(10 ** (18 - decimals));
        oracle = oracle_;
        registry = registry_;
        backstop = backstop_;
    }

    // ---------------------------------------------------------------- owner

    /// @notice Allow or forbid `settler` to settle matched trades.
    function setSettler(address settler, bool allowed) external onlyOwner {
        isSettler[settler] = allowed;
        emit SettlerSet(settler, allowed);
    }

    /// @notice Set MM factor (> 0), liquidation penalty and keeper share (each in [0, 1]), WAD.
    function setRiskParameters(int256 mmFactor, int256 penalty, int256 keeperShare_)
        external
        onlyOwner
    {
        if (mmFactor <= 0 || penalty < 0 || penalty > WAD || keeperShare_ < 0 || keeperShare_ > WAD)
        {
            revert InvalidRiskParameters(mmFactor, penalty, keeperShare_);
        }
        maintenanceMarginFactor = mmFactor;
        liquidationPenalty = penalty;
        keeperShare = keeperShare_;
        emit RiskParametersSet(mmFactor, penalty, keeperShare_);
    }

    /// @notice Set the IM factor (> 0, WAD) and the ES level of initial margin (basis points,
    /// in [5000, 10000)).
    function setInitialMarginParameters(int256 factor, uint16 alphaBps) external onlyOwner {
        if (factor <= 0 || alphaBps < 5000 || alphaBps >= 10_000) {
            revert InvalidInitialMarginParameters(factor, alphaBps);
        }
        initialMarginFactor = factor;
        initialMarginAlphaBps = alphaBps;
        emit InitialMarginParametersSet(factor, alphaBps);
    }

    /// @notice List a European option series on `asset`: strike in (0, 1e36] WAD, expiry in
    /// the future and at most 100 years away. Returns its id.
    function listSeries(uint256 asset, int256 strike, uint64 expiry, bool isCall)
        external
        onlyOwner
        returns (uint256 seriesId)
    {
        uint256 assets = oracle.assetCount();
        if (asset >= assets) revert UnknownAsset(asset, assets);
        if (strike <= 0 || strike > 1e36 || expiry <= block.timestamp) {
            revert InvalidSeries(asset, strike, expiry);
        }
        if (OptionValuation.yearsToExpiry(expiry, block.timestamp) > 100e18) {
            revert InvalidSeries(asset, strike, expiry);
        }
        seriesId = _series.length;
        _series.push(OptionValuation.Series(asset, strike, expiry, isCall));
        emit SeriesListed(seriesId, asset, strike, expiry, isCall);
    }

    // ---------------------------------------------------------------- collateral

    /// @notice Deposit `amount` of collateral (token decimals) to the caller's account.
    function deposit(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        int256 credited = SafeCast.toInt256(amount) * collateralScale;
        cash[msg.sender] += credited;
        emit Deposited(msg.sender, amount, cash[msg.sender]);
        collateral.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Withdraw `amount` of collateral (token decimals). With open positions the
    /// account must stay at or above initial margin, shown by `margin` (a certificate on the
    /// account after the withdrawal), and no asset it holds may be paused by the oracle's
    /// circuit breaker; without positions `margin` is ignored and may be empty.
    function withdraw(uint256 amount, MarginCertificate calldata margin) external {
        if (amount == 0) revert ZeroAmount();
        int256 debited = SafeCast.toInt256(amount) * collateralScale;
        int256 balance = cash[msg.sender];
        if (debited > balance) revert InsufficientCash(msg.sender, balance, debited);
        cash[msg.sender] = balance - debited;
        if (openPositionCount[msg.sender] != 0) {
            _requireRiskAllowed(msg.sender);
            _requireInitialMargin(msg.sender, margin);
        }
        emit Withdrawn(msg.sender, amount, balance - debited);
        collateral.safeTransfer(msg.sender, amount);
    }

    // ---------------------------------------------------------------- trading

    /// @notice Settle a matched perp trade: `buyer` buys `size` (> 0, WAD) of `asset` from
    /// `seller` at `price` (> 0, WAD). Each side whose position grows in absolute size must
    /// end at or above initial margin, shown by its certificate (on the account after the
    /// trade), and the asset must not be paused by the circuit breaker; a side whose risk
    /// falls needs neither.
    function settleTrade(
        address buyer,
        address seller,
        uint256 asset,
        int256 size,
        int256 price,
        MarginCertificate calldata buyerMargin,
        MarginCertificate calldata sellerMargin
    ) external onlySettler {
        uint256 assets = oracle.assetCount();
        if (asset >= assets) revert UnknownAsset(asset, assets);
        if (buyer == seller) revert SelfTrade(buyer);
        if (size <= 0 || price <= 0) revert InvalidTrade(size, price);
        int256 cost = size.mulWad(price, Math.Rounding.Ceil);
        bool buyerRisk = _addToPosition(buyer, asset, size, cost);
        bool sellerRisk = _addToPosition(seller, asset, -size, -cost);
        emit TradeSettled(buyer, seller, asset, size, price, cost);
        if (buyerRisk || sellerRisk) oracle.checkRiskAllowed(asset);
        if (buyerRisk) _requireInitialMargin(buyer, buyerMargin);
        if (sellerRisk) _requireInitialMargin(seller, sellerMargin);
    }

    /// @notice Settle a matched option trade: `buyer` buys `size` (> 0, WAD) options of
    /// `seriesId` from `seller` at `premium` (>= 0, WAD per option) before expiry, with
    /// the same initial-margin rule as `settleTrade`.
    function settleOptionTrade(
        address buyer,
        address seller,
        uint256 seriesId,
        int256 size,
        int256 premium,
        MarginCertificate calldata buyerMargin,
        MarginCertificate calldata sellerMargin
    ) external onlySettler {
        OptionValuation.Series memory s = _seriesOf(seriesId);
        if (s.expiry <= block.timestamp) revert SeriesExpired(seriesId, s.expiry);
        if (buyer == seller) revert SelfTrade(buyer);
        if (size <= 0 || premium < 0) revert InvalidTrade(size, premium);
        int256 cost = size.mulWad(premium, Math.Rounding.Ceil);
        bool buyerRisk = _addToOptionPosition(buyer, seriesId, size, cost);
        bool sellerRisk = _addToOptionPosition(seller, seriesId, -size, -cost);
        emit OptionTradeSettled(buyer, seller, seriesId, size, premium, cost);
        if (buyerRisk || sellerRisk) oracle.checkRiskAllowed(s.asset);
        if (buyerRisk) _requireInitialMargin(buyer, buyerMargin);
        if (sellerRisk) _requireInitialMargin(seller, sellerMargin);
    }

    /// @notice Settle `account`'s position in expired `seriesId`: the payoff size * intrinsic
    /// value (rounded down) at the series' settlement price replaces the position. The first
    /// settlement of a series fixes that price from the oracle; every later one, on either
    /// side, uses it, so settlement is zero-sum. Permissionless.
    function settleExpiredOption(address account, uint256 seriesId) external {
        OptionValuation.Series memory s = _seriesOf(seriesId);
        if (s.expiry > block.timestamp) revert SeriesNotExpired(seriesId, s.expiry);
        Position memory p = _optionPositions[account][seriesId];
        if (p.size == 0) return;
        int256 price = settlementPrice[seriesId];
        if (price == 0) {
            price = oracle.price(s.asset);
            settlementPrice[seriesId] = price;
            emit SettlementPriceFixed(seriesId, price);
        }
        int256 intrinsic = OptionValuation.value(s, price, 0, block.timestamp);
        int256 payoff = p.size.mulWad(intrinsic, Math.Rounding.Floor);
        _addToOptionPosition(account, seriesId, -p.size, -payoff);
        emit OptionSettled(account, seriesId, p.size, price, payoff);
    }

    // ---------------------------------------------------------------- views

    /// @notice The perp position of `account` in `asset`.
    function positionOf(address account, uint256 asset) external view returns (Position memory) {
        return _positions[account][asset];
    }

    /// @notice The option position of `account` in `seriesId`.
    function optionPositionOf(address account, uint256 seriesId)
        external
        view
        returns (Position memory)
    {
        return _optionPositions[account][seriesId];
    }

    /// @notice The option series `account` holds, in the order the account opened them.
    function heldSeries(address account) external view returns (uint256[] memory) {
        return _heldSeries[account];
    }

    /// @notice The option series `seriesId`.
    function series(uint256 seriesId) external view returns (OptionValuation.Series memory) {
        return _seriesOf(seriesId);
    }

    /// @notice The number of listed option series.
    function seriesCount() external view returns (uint256) {
        return _series.length;
    }

    /// @notice Equity of `account` at oracle marks (WAD): cash + (sum size * unit value) / WAD
    /// - sum costBasis, the division rounded down; a perp's unit value is the spot mark, an
    /// option's its Black-Scholes value.
    function equity(address account) external view returns (int256) {
        return _equity(account, _marks(account));
    }

    /// @notice Loss of `account` (WAD, positive = loss) under one scenario: every asset's spot
    /// moves by its WAD simple return and its implied vol by its WAD shift (asset i at index
    /// i). Perps lose size * mulWad(mark, r, Floor); options size * (value after - value now);
    /// the sum is divided by WAD rounded up. Reverts with `AssetNotInScenarioSet` if the
    /// account holds an asset the scenario does not cover.
    function scenarioLoss(
        address account,
        int256[] calldata spotReturns,
        int256[] calldata volShifts
    ) external view returns (int256) {
        return _scenarioLoss(account, _marks(account), spotReturns, volShifts);
    }

    /// @notice Check `certificate` against `account` without liquidating. Reverts, with the
    /// same errors as `liquidate`, when the certificate itself is invalid.
    function isLiquidatable(address account, LiquidationCertificate calldata certificate)
        external
        view
        returns (MarginCheck memory)
    {
        return _check(account, _marks(account), certificate);
    }

    // ---------------------------------------------------------------- liquidation

    /// @notice Liquidate `account` (any account but the backstop) if `certificate` shows
    /// MM > equity: close every position at oracle mark into the backstop, charge the penalty
    /// (keeper share to the caller's cash, the rest to the backstop), and move any shortfall
    /// to the backstop as bad debt.
    function liquidate(address account, LiquidationCertificate calldata certificate)
        external
        returns (MarginCheck memory check)
    {
        if (account == backstop) revert BackstopNotLiquidatable();
        Marks memory marks = _marks(account);
        check = _check(account, marks, certificate);
        if (!check.liquidatable) {
            revert AccountHealthy(account, check.equity, check.maintenanceMargin);
        }

        int256 notional = _closePerps(account, marks) + _closeOptions(account, marks);
        int256 remaining = cash[account];
        int256 penalty = liquidationPenalty.mulWad(notional, Math.Rounding.Ceil);
        int256 charged = remaining <= 0 ? int256(0) : (penalty < remaining ? penalty : remaining);
        int256 reward = keeperShare.mulWad(charged, Math.Rounding.Floor);
        int256 badDebt = remaining < 0 ? -remaining : int256(0);
        cash[account] = remaining - charged + badDebt;
        cash[msg.sender] += reward;
        cash[backstop] += charged - reward - badDebt;
        emit Liquidated(
            account,
            msg.sender,
            certificate.epoch,
            check.equity,
            check.expectedShortfallLowerBound,
            check.maintenanceMargin,
            reward,
            charged - reward,
            badDebt
        );
    }

    // ---------------------------------------------------------------- internal: positions

    function _seriesOf(uint256 seriesId) internal view returns (OptionValuation.Series memory) {
        if (seriesId >= _series.length) revert UnknownSeries(seriesId, _series.length);
        return _series[seriesId];
    }

    /// @dev Add `size` at total `cost` to `account`'s perp in `asset`; returns whether the
    /// position grew in absolute size (a risk increase).
    function _addToPosition(address account, uint256 asset, int256 size, int256 cost)
        internal
        returns (bool grew)
    {
        (bool opened, bool closed) = _fill(account, _positions[account][asset], size, cost);
        grew = _grew(_positions[account][asset].size - size, size);
        if (opened) openPositionCount[account] += 1;
        if (closed) openPositionCount[account] -= 1;
    }

    /// @dev The same for an option series, keeping `account`'s held list (at most
    /// MAX_OPTION_POSITIONS series, except for the backstop: it takes over every liquidated
    /// series, so a cap would block liquidations).
    function _addToOptionPosition(address account, uint256 seriesId, int256 size, int256 cost)
        internal
        returns (bool grew)
    {
        Position storage p = _optionPositions[account][seriesId];
        (bool opened, bool closed) = _fill(account, p, size, cost);
        grew = _grew(p.size - size, size);
        if (opened) {
            if (account != backstop && _heldSeries[account].length == MAX_OPTION_POSITIONS) {
                revert TooManyOptionPositions(account, MAX_OPTION_POSITIONS);
            }
            _heldSeries[account].push(seriesId);
            openPositionCount[account] += 1;
        }
        if (closed) {
            openPositionCount[account] -= 1;
            _removeHeldSeries(account, seriesId);
        }
    }

    /// @dev Add `size` at total `cost` to position `p` of `account`; a position back at
    /// size 0 realizes its remaining cost basis into cash.
    function _fill(address account, Position storage p, int256 size, int256 cost)
        internal
        returns (bool opened, bool closed)
    {
        int256 before = p.size;
        p.size = before + size;
        p.costBasis += cost;
        opened = before == 0;
        closed = p.size == 0;
        if (closed) {
            cash[account] -= p.costBasis;
            p.costBasis = 0;
        }
    }

    /// @dev Whether adding `size` to a position of `before` grows its absolute size.
    function _grew(int256 before, int256 size) internal pure returns (bool) {
        return SignedMath.abs(before + size) > SignedMath.abs(before);
    }

    /// @dev Remove `seriesId` from `account`'s held list, keeping the others in order.
    function _removeHeldSeries(address account, uint256 seriesId) internal {
        uint256[] storage held = _heldSeries[account];
        uint256 last = held.length - 1;
        uint256 i;
        while (held[i] != seriesId) ++i;
        for (; i < last; ++i) {
            held[i] = held[i + 1];
        }
        held.pop();
    }

    /// @dev Close every perp of `account` at mark into the backstop; returns the closed notional.
    function _closePerps(address account, Marks memory marks) internal returns (int256 notional) {
        for (uint256 asset; asset < marks.spot.length; ++asset) {
            Position memory p = _positions[account][asset];
            if (p.size == 0) continue;
            int256 value = p.size.mulWad(marks.spot[asset], Math.Rounding.Floor);
            delete _positions[account][asset];
            openPositionCount[account] -= 1;
            cash[account] += value - p.costBasis;
            _addToPosition(backstop, asset, p.size, value);
            notional += value < 0 ? -value : value;
            emit PositionLiquidated(account, asset, p.size, marks.spot[asset], value);
        }
    }

    /// @dev Close every option of `account` at its Black-Scholes mark into the backstop;
    /// returns the closed notional (the options' marked value).
    function _closeOptions(address account, Marks memory marks) internal returns (int256 notional) {
        uint256[] memory held = _heldSeries[account];
        for (uint256 i; i < held.length; ++i) {
            Position memory p = _optionPositions[account][held[i]];
            int256 unitValue = marks.optionValues[i];
            int256 value = p.size.mulWad(unitValue, Math.Rounding.Floor);
            _addToOptionPosition(account, held[i], -p.size, -value);
            _addToOptionPosition(backstop, held[i], p.size, value);
            notional += value < 0 ? -value : value;
            emit OptionPositionLiquidated(account, held[i], p.size, unitValue, value);
        }
    }

    // ---------------------------------------------------------------- internal: valuation

    /// @dev Spot marks for the assets `account` holds perps or options on, and implied vols
    /// for the option underlyings; 0 for the others (never read).
    function _marks(address account) internal view returns (Marks memory marks) {
        uint256 assets = oracle.assetCount();
        marks.spot = new int256[](assets);
        marks.vol = new int256[](assets);
        for (uint256 asset; asset < assets; ++asset) {
            if (_positions[account][asset].size != 0) marks.spot[asset] = oracle.price(asset);
        }
        uint256[] memory held = _heldSeries[account];
        marks.optionValues = new int256[](held.length);
        for (uint256 i; i < held.length; ++i) {
            OptionValuation.Series memory s = _series[held[i]];
            if (marks.spot[s.asset] == 0) marks.spot[s.asset] = oracle.price(s.asset);
            if (marks.vol[s.asset] == 0) marks.vol[s.asset] = oracle.volatility(s.asset);
            marks.optionValues[i] = _unitValue(held[i], s, marks);
        }
    }

    function _equity(address account, Marks memory marks) internal view returns (int256) {
        int256 value;
        int256 costBasis;
        for (uint256 asset; asset < marks.spot.length; ++asset) {
            Position memory p = _positions[account][asset];
            value += p.size * marks.spot[asset];
            costBasis += p.costBasis;
        }
        uint256[] memory held = _heldSeries[account];
        for (uint256 i; i < held.length; ++i) {
            Position memory p = _optionPositions[account][held[i]];
            value += p.size * marks.optionValues[i];
            costBasis += p.costBasis;
        }
        return cash[account] + value.mulDiv(1, WAD, Math.Rounding.Floor) - costBasis;
    }

    function _scenarioLoss(
        address account,
        Marks memory marks,
        int256[] calldata spotReturns,
        int256[] calldata volShifts
    ) internal view returns (int256) {
        int256 pnl = _perpPnl(account, marks, spotReturns)
            + _optionPnl(account, marks, spotReturns, volShifts);
        return (-pnl).mulDiv(1, WAD, Math.Rounding.Ceil);
    }

    /// @dev sum over perps of size * mulWad(mark, r, Floor), not yet divided by WAD.
    function _perpPnl(address account, Marks memory marks, int256[] calldata spotReturns)
        internal
        view
        returns (int256 pnl)
    {
        for (uint256 asset; asset < marks.spot.length; ++asset) {
            int256 size = _positions[account][asset].size;
            if (size == 0) continue;
            _requireCovered(asset, spotReturns.length);
            pnl += size * marks.spot[asset].mulWad(spotReturns[asset], Math.Rounding.Floor);
        }
    }

    /// @dev sum over options of size * (shocked value - value), not yet divided by WAD; an
    /// option whose settlement price is fixed no longer moves.
    function _optionPnl(
        address account,
        Marks memory marks,
        int256[] calldata spotReturns,
        int256[] calldata volShifts
    ) internal view returns (int256 pnl) {
        uint256[] memory held = _heldSeries[account];
        for (uint256 i; i < held.length; ++i) {
            OptionValuation.Series memory s = _series[held[i]];
            _requireCovered(s.asset, spotReturns.length);
            _requireCovered(s.asset, volShifts.length);
            if (settlementPrice[held[i]] != 0) continue;
            int256 shocked = OptionValuation.shockedValue(
                s,
                marks.spot[s.asset],
                marks.vol[s.asset],
                spotReturns[s.asset],
                volShifts[s.asset],
                block.timestamp
            );
            pnl += _optionPositions[account][held[i]].size * (shocked - marks.optionValues[i]);
        }
    }

    /// @dev One option's value: intrinsic at the settlement price once that is fixed, else
    /// Black-Scholes at the marks (intrinsic at the mark from expiry on).
    function _unitValue(uint256 seriesId, OptionValuation.Series memory s, Marks memory marks)
        internal
        view
        returns (int256)
    {
        int256 price = settlementPrice[seriesId];
        if (price != 0) return OptionValuation.value(s, price, 0, block.timestamp);
        return OptionValuation.value(s, marks.spot[s.asset], marks.vol[s.asset], block.timestamp);
    }

    function _requireCovered(uint256 asset, uint256 covered) internal pure {
        if (asset >= covered) revert AssetNotInScenarioSet(asset, covered);
    }

    // ---------------------------------------------------------------- internal: initial margin

    /// @dev Revert unless the circuit breaker allows new risk on every asset `account` holds.
    function _requireRiskAllowed(address account) internal view {
        uint256 assets = oracle.assetCount();
        for (uint256 asset; asset < assets; ++asset) {
            if (_positions[account][asset].size != 0) oracle.checkRiskAllowed(asset);
        }
        uint256[] memory held = _heldSeries[account];
        for (uint256 i; i < held.length; ++i) {
            oracle.checkRiskAllowed(_series[held[i]].asset);
        }
    }

    /// @dev Revert unless `certificate` shows IM <= equity for `account` as it stands now:
    /// IM = initialMarginFactor * (t + ceil(10000 * sum max(L - t, 0) / kNum)), both
    /// roundings up, with kNum at the IM level and L every scenario's loss.
    function _requireInitialMargin(address account, MarginCertificate calldata certificate)
        internal
    {
        if (certificate.indices.length == 0) revert MarginCertificateRequired(account);
        (uint64 epoch, ScenarioRegistry.ScenarioSet memory set) = registry.current();
        if (certificate.epoch != epoch) revert StaleEpoch(certificate.epoch, epoch);
        Marks memory marks = _marks(account);
        int256[] memory losses = _allScenarioLosses(account, marks, certificate, set);
        (uint256 kNum,,) = ExpectedShortfall.tailWeight(set.n, initialMarginAlphaBps);
        int256 bound =
            ExpectedShortfall.rockafellarUryasevBound(losses, certificate.threshold, kNum);
        int256 initialMargin = initialMarginFactor.mulWad(bound, Math.Rounding.Ceil);
        int256 accountEquity = _equity(account, marks);
        if (initialMargin > accountEquity) {
            revert InsufficientInitialMargin(account, accountEquity, initialMargin);
        }
        emit InitialMarginChecked(account, epoch, accountEquity, initialMargin);
    }

    /// @dev Verify that `certificate` holds exactly the N committed scenarios (each index
    /// once, all leaves rebuilding the root) and return `account`'s loss under each.
    function _allScenarioLosses(
        address account,
        Marks memory marks,
        MarginCertificate calldata certificate,
        ScenarioRegistry.ScenarioSet memory set
    ) internal view returns (int256[] memory losses) {
        uint256 n = set.n;
        if (
            certificate.indices.length != n || certificate.spotReturns.length != n
                || certificate.volShifts.length != n
        ) revert WrongScenarioCount(n, certificate.indices.length);
        losses = new int256[](n);
        bytes32[] memory leaves = new bytes32[](n);
        uint256[] memory seen = new uint256[]((n + 255) / 256);
        for (uint256 i; i < n; ++i) {
            uint256 index = certificate.indices[i];
            if (index >= n) revert ScenarioIndexOutOfRange(index, n);
            uint256 bit = 1 << (index % 256);
            if (seen[index / 256] & bit != 0) revert DuplicateScenarioIndex(index);
            seen[index / 256] |= bit;
            (leaves[i], losses[i]) = _leafAndLoss(account, marks, certificate, i, set.assetCount);
        }
        bool[] memory flags = new bool[](n - 1);
        for (uint256 i; i < n - 1; ++i) {
            flags[i] = true;
        }
        if (!MerkleProof.multiProofVerify(new bytes32[](0), flags, set.root, leaves)) {
            revert InvalidMarginCertificate(certificate.epoch);
        }
    }

    /// @dev Scenario `i` of `certificate`: its leaf hash and `account`'s loss under it.
    function _leafAndLoss(
        address account,
        Marks memory marks,
        MarginCertificate calldata certificate,
        uint256 i,
        uint256 assetCount
    ) internal view returns (bytes32 leaf, int256 loss) {
        uint256 index = certificate.indices[i];
        int256[] calldata spotReturns = certificate.spotReturns[i];
        int256[] calldata volShifts = certificate.volShifts[i];
        _requireAssetCount(index, spotReturns, volShifts, assetCount);
        leaf = ScenarioLeaf.hash(index, spotReturns, volShifts);
        loss = _scenarioLoss(account, marks, spotReturns, volShifts);
    }

    // ---------------------------------------------------------------- internal: certificates

    /// @dev Revert unless scenario `index` has one spot return and one vol shift per asset.
    function _requireAssetCount(
        uint256 index,
        int256[] calldata spotReturns,
        int256[] calldata volShifts,
        uint256 assetCount
    ) internal pure {
        if (spotReturns.length != assetCount) {
            revert WrongAssetCount(index, spotReturns.length, assetCount);
        }
        if (volShifts.length != assetCount) {
            revert WrongAssetCount(index, volShifts.length, assetCount);
        }
    }

    /// @dev Verify witness `i` of `certificate` (order, range, asset count, Merkle proof) and
    /// return its spot returns and vol shifts.
    function _witness(
        LiquidationCertificate calldata certificate,
        uint256 i,
        ScenarioRegistry.ScenarioSet memory set
    ) internal pure returns (int256[] calldata spotReturns, int256[] calldata volShifts) {
        uint256 index = certificate.indices[i];
        if (i > 0) {
            uint256 previous = certificate.indices[i - 1];
            if (index == previous) revert DuplicateScenarioIndex(index);
            if (index < previous) revert ScenarioIndicesNotIncreasing(index, previous);
        }
        if (index >= set.n) revert ScenarioIndexOutOfRange(index, set.n);
        spotReturns = certificate.spotReturns[i];
        volShifts = certificate.volShifts[i];
        _requireAssetCount(index, spotReturns, volShifts, set.assetCount);
        bytes32 leaf = ScenarioLeaf.hash(index, spotReturns, volShifts);
        if (!MerkleProof.verifyCalldata(certificate.proofs[i], set.root, leaf)) {
            revert InvalidScenarioProof(index);
        }
    }

    /// @dev Verify every witness of `certificate` and return its loss for `account`.
    function _witnessLosses(
        address account,
        Marks memory marks,
        LiquidationCertificate calldata certificate,
        ScenarioRegistry.ScenarioSet memory set,
        uint256 expected
    ) internal view returns (int256[] memory losses) {
        uint256 count = certificate.indices.length;
        if (
            certificate.spotReturns.length != count || certificate.volShifts.length != count
                || certificate.proofs.length != count
        ) {
            revert CertificateLengthMismatch(
                count, certificate.spotReturns.length, certificate.proofs.length
            );
        }
        if (count != expected) revert WrongWitnessCount(expected, count);
        losses = new int256[](count);
        for (uint256 i; i < count; ++i) {
            (int256[] calldata spotReturns, int256[] calldata volShifts) =
                _witness(certificate, i, set);
            losses[i] = _scenarioLoss(account, marks, spotReturns, volShifts);
        }
    }

    function _check(
        address account,
        Marks memory marks,
        LiquidationCertificate calldata certificate
    ) internal view returns (MarginCheck memory check) {
        (uint64 epoch, ScenarioRegistry.ScenarioSet memory set) = registry.current();
        if (certificate.epoch != epoch) revert StaleEpoch(certificate.epoch, epoch);
        (uint256 kNum, uint256 whole, uint256 frac) =
            ExpectedShortfall.tailWeight(set.n, set.alphaBps);
        int256[] memory losses = _witnessLosses(
            account, marks, certificate, set, ExpectedShortfall.witnessCount(whole, frac)
        );
        check.expectedShortfallLowerBound = ExpectedShortfall.weightedLowerBound(losses, kNum, frac);
        check.maintenanceMargin =
            maintenanceMarginFactor.mulWad(check.expectedShortfallLowerBound, Math.Rounding.Floor);
        check.equity = _equity(account, marks);
        check.liquidatable = check.maintenanceMargin > check.equity;
    }
}
