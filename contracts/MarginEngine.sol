// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {SignedMath} from "@openzeppelin/contracts/utils/math/SignedMath.sol";

import {BlackScholes} from "./libraries/BlackScholes.sol";
import {ExpectedShortfall} from "./libraries/ExpectedShortfall.sol";
import {FixedPointMath} from "./libraries/FixedPointMath.sol";
import {OptionValuation} from "./libraries/OptionValuation.sol";
import {ScenarioLeaf} from "./libraries/ScenarioLeaf.sol";
import {IMarginEngine} from "./interfaces/IMarginEngine.sol";
import {IScenarioRegistry} from "./interfaces/IScenarioRegistry.sol";
import {OracleAdapter} from "./OracleAdapter.sol";
import {ScenarioRegistry} from "./ScenarioRegistry.sol";

/// @title MarginEngine
/// @notice Values a portfolio at oracle marks and checks Expected Shortfall certificates
/// against it: the lower-bound certificate of a liquidation (ceil(k) witness scenarios with
/// Merkle proofs) and the Rockafellar-Uryasev upper bound of an initial-margin check (all N
/// scenarios and a threshold). Stateless: the clearinghouse that deploys it passes each
/// account as a `Portfolio`, and the engine reads only the oracle and the scenario registry.
/// All amounts are WAD (1e18) signed integers; see docs/protocol.md.
/// @dev Off-chain twins: `offchain/portfolio.py` (equity, scenario loss),
/// `offchain/options.py` (option values) and `offchain/expected_shortfall.py` (tail weight,
/// bounds).
contract MarginEngine is IMarginEngine {
    using FixedPointMath for int256;

    int256 internal constant WAD = 1e18;
    /// @notice The largest spot return a certificate's scenario may carry: +10,000%, the
    /// price times 101 (WAD). The smallest is above -100%: a price stays positive.
    int256 public constant MAX_SPOT_RETURN = 100e18;
    /// @notice The largest |threshold| a margin certificate may carry: the largest |loss| a
    /// scenario can produce, ceil(type(int256).max / WAD), since a loss is an int256 sum
    /// divided by WAD. The optimal threshold is a loss, and one outside the losses' range
    /// only raises the bound, so no honest certificate needs more; inside it no intermediate
    /// of the bound can overflow for any N < 2^32 (|L - t| <= 2 * MAX_THRESHOLD < 2^197).
    int256 public constant MAX_THRESHOLD = type(int256).max / WAD + 1;

    /// @notice The oracle of every mark.
    OracleAdapter public immutable oracle;
    /// @notice The scenario registry whose epochs certificates are checked against.
    ScenarioRegistry public immutable registry;

    constructor(OracleAdapter oracle_, ScenarioRegistry registry_) {
        oracle = oracle_;
        registry = registry_;
    }

    // ---------------------------------------------------------------- views

    /// @notice The marks `portfolio` needs and its equity at them (WAD): balance +
    /// (sum size * unit value) / WAD, the division rounded down; a perp's unit value is the
    /// spot mark, an option's its Black-Scholes value (intrinsic at the settlement price
    /// once fixed).
    /// @param portfolio The account: balance, spot exposure per asset, options (see `Portfolio`).
    /// @return equity Its equity at the marks (WAD).
    /// @return marks The marks it needs, each option's unit value and the valuation time.
    function valuation(Portfolio calldata portfolio)
        external
        view
        returns (int256 equity, Marks memory marks)
    {
        marks = _marks(portfolio);
        equity = _equity(portfolio, marks);
    }

    /// @notice Loss of `portfolio` (WAD, positive = loss) under one scenario: every asset's
    /// spot moves by its WAD simple return and its implied vol by its WAD shift (asset i at
    /// index i). Perps lose size * mulWad(mark, r, Floor); options size * (value after -
    /// value now); the sum is divided by WAD rounded up.
    /// @param portfolio The account: balance, spot exposure per asset, options (see `Portfolio`).
    /// @param spotReturns One WAD spot return per asset.
    /// @param volShifts One WAD implied-vol shift per asset.
    /// @return The loss (WAD, positive = loss).
    function scenarioLoss(
        Portfolio calldata portfolio,
        int256[] calldata spotReturns,
        int256[] calldata volShifts
    ) external view returns (int256) {
        return _scenarioLoss(portfolio, _marks(portfolio), spotReturns, volShifts);
    }

    /// @notice Check a liquidation certificate on `portfolio`: the weighted average of its
    /// witness losses is a lower bound of ES (rounded down), MM = mmFactor * max(bound, 0)
    /// (rounded down), liquidatable when MM > equity. Also returns the marks, for closing
    /// positions.
    /// @param portfolio The account: balance, spot exposure per asset, options (see `Portfolio`).
    /// @param certificate ceil(k) witness scenarios of the current epoch with Merkle proofs.
    /// @param mmFactor The maintenance margin factor (WAD).
    /// @return check Equity, the ES lower bound, MM and whether MM > equity.
    /// @return marks The marks the check used, for closing positions at them.
    function checkLiquidation(
        Portfolio calldata portfolio,
        LiquidationCertificate calldata certificate,
        int256 mmFactor
    ) external view returns (MarginCheck memory check, Marks memory marks) {
        (uint64 epoch, IScenarioRegistry.ScenarioSet memory set) = registry.current();
        if (certificate.epoch != epoch) revert StaleEpoch(certificate.epoch, epoch);
        marks = _marks(portfolio);
        check.expectedShortfallLowerBound =
            _lowerBound(portfolio, marks, certificate, set, set.alphaBps);
        check.maintenanceMargin =
            _margin(mmFactor, check.expectedShortfallLowerBound, Math.Rounding.Floor);
        check.equity = _equity(portfolio, marks);
        check.liquidatable = check.maintenanceMargin > check.equity;
    }

    /// @notice Initial margin of `portfolio` as `certificate` bounds it, and its equity:
    /// IM = imFactor * max(t + ceil(10000 * sum max(L - t, 0) / kNum), 0) + addOnRate * gross
    /// notional, every rounding up, with kNum at `alphaBps` and L every scenario's loss.
    /// Reverts unless the certificate holds exactly the N scenarios of the current epoch and
    /// its threshold is within MAX_THRESHOLD.
    /// @param portfolio The account: balance, spot exposure per asset, options (see `Portfolio`).
    /// @param certificate All N scenarios of the current epoch and a threshold.
    /// @param imFactor The IM factor (WAD).
    /// @param alphaBps The ES level of initial margin (basis points).
    /// @param addOnRate The liquidity add-on, a WAD fraction of gross notional.
    /// @return equity The portfolio's equity at oracle marks (WAD).
    /// @return margin Its initial margin (WAD).
    function initialMargin(
        Portfolio calldata portfolio,
        MarginCertificate calldata certificate,
        int256 imFactor,
        uint16 alphaBps,
        int256 addOnRate
    ) external view returns (int256 equity, int256 margin) {
        (uint64 epoch, IScenarioRegistry.ScenarioSet memory set) = registry.current();
        if (certificate.epoch != epoch) revert StaleEpoch(certificate.epoch, epoch);
        int256 t = certificate.threshold;
        if (t > MAX_THRESHOLD || t < -MAX_THRESHOLD) revert ThresholdOutOfDomain(t);
        Marks memory marks = _marks(portfolio);
        int256[] memory losses = _allScenarioLosses(portfolio, marks, certificate, set);
        // slither-disable-next-line unused-return
        (uint256 kNum,,) = ExpectedShortfall.tailWeight(set.n, alphaBps);
        int256 bound = ExpectedShortfall.rockafellarUryasevBound(losses, t, kNum);
        margin = _initialMargin(portfolio, marks.spot, bound, imFactor, addOnRate);
        equity = _equity(portfolio, marks);
    }

    /// @notice The hash an attestation commits to for `portfolio` at the current marks,
    /// keccak256(abi.encode(portfolio, spot marks, vol marks)), and its equity at them.
    /// @param portfolio The account: balance, spot exposure per asset, options (see `Portfolio`).
    /// @return stateHash keccak256(abi.encode(portfolio, spot marks, vol marks)).
    /// @return equity Its equity at the oracle marks (WAD).
    function attestedState(Portfolio calldata portfolio)
        external
        view
        returns (bytes32 stateHash, int256 equity)
    {
        Marks memory marks = _marks(portfolio);
        stateHash = _stateHash(portfolio, marks.spot, marks.vol);
        equity = _equity(portfolio, marks);
    }

    /// @notice What an attestation of `expectedShortfall` (WAD, at the IM level) means for
    /// the state `portfolio` at the `spot` and `vol` marks: the state's hash and its IM =
    /// imFactor * max(expectedShortfall, 0) + addOnRate * gross notional, both rounding up,
    /// as `initialMargin` computes it from a certificate's bound.
    /// @param portfolio The account: balance, spot exposure per asset, options (see `Portfolio`).
    /// @param spot The spot marks the state was valued at (WAD, per asset).
    /// @param vol The implied-vol marks the state was valued at (WAD, per asset).
    /// @param expectedShortfall The attested ES (WAD).
    /// @param imFactor The IM factor (WAD).
    /// @param addOnRate The liquidity add-on, a WAD fraction of gross notional.
    /// @return stateHash The state's hash.
    /// @return margin The IM the attested ES makes for it (WAD).
    function attestedInitialMargin(
        Portfolio calldata portfolio,
        int256[] calldata spot,
        int256[] calldata vol,
        int256 expectedShortfall,
        int256 imFactor,
        int256 addOnRate
    ) external pure returns (bytes32 stateHash, int256 margin) {
        stateHash = _stateHash(portfolio, spot, vol);
        margin = _initialMargin(portfolio, spot, expectedShortfall, imFactor, addOnRate);
    }

    /// @notice A fraud proof's view of an attested state: its hash, and the lower bound
    /// (rounded down) of ES at `alphaBps` that `certificate`'s witnesses of `epoch` show for
    /// `portfolio` valued at the given `spot` and `vol` marks and `time` (not the oracle's,
    /// nor now).
    /// @param portfolio The account: balance, spot exposure per asset, options (see `Portfolio`).
    /// @param spot The attested spot marks (WAD, per asset).
    /// @param vol The attested implied-vol marks (WAD, per asset).
    /// @param time The attested valuation time (unix seconds).
    /// @param certificate Witness scenarios of `epoch` with Merkle proofs.
    /// @param epoch The attested epoch.
    /// @param alphaBps The attested ES level (basis points).
    /// @return stateHash The state's hash.
    /// @return bound The lower bound of ES the witnesses show (WAD).
    function attestedLowerBound(
        Portfolio calldata portfolio,
        int256[] calldata spot,
        int256[] calldata vol,
        uint256 time,
        LiquidationCertificate calldata certificate,
        uint64 epoch,
        uint16 alphaBps
    ) external view returns (bytes32 stateHash, int256 bound) {
        stateHash = _stateHash(portfolio, spot, vol);
        if (certificate.epoch != epoch) revert StaleEpoch(certificate.epoch, epoch);
        bound = _lowerBound(
            portfolio,
            _givenMarks(portfolio, spot, vol, time),
            certificate,
            registry.scenarioSet(epoch),
            alphaBps
        );
    }

    /// @dev keccak256(abi.encode(portfolio, spot, vol)): the state an attestation names.
    function _stateHash(Portfolio calldata portfolio, int256[] memory spot, int256[] memory vol)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(portfolio, spot, vol));
    }

    /// @dev imFactor * max(bound, 0) + addOnRate * gross notional at `spot`, both rounding
    /// up.
    function _initialMargin(
        Portfolio calldata portfolio,
        int256[] memory spot,
        int256 bound,
        int256 imFactor,
        int256 addOnRate
    ) internal pure returns (int256) {
        return _margin(imFactor, bound, Math.Rounding.Ceil)
            + addOnRate.mulWad(_grossNotional(portfolio, spot), Math.Rounding.Ceil);
    }

    /// @dev The margin `factor` makes of an ES or a bound of it: factor * max(es, 0) / WAD,
    /// rounded as given. ES is negative when every tail scenario is a gain; a negative margin
    /// would pass IM at negative equity and keep an insolvent account out of liquidation.
    function _margin(int256 factor, int256 es, Math.Rounding rounding)
        internal
        pure
        returns (int256)
    {
        return factor.mulWad(SignedMath.max(es, 0), rounding);
    }

    /// @dev Marks from given spot and vol marks and time, with each option's unit value.
    function _givenMarks(
        Portfolio calldata portfolio,
        int256[] calldata spot,
        int256[] calldata vol,
        uint256 time
    ) internal view returns (Marks memory marks) {
        marks = Marks(spot, vol, new int256[](portfolio.options.length), time);
        for (uint256 i; i < portfolio.options.length; ++i) {
            marks.optionValues[i] = _unitValue(portfolio.options[i], marks);
        }
    }

    /// @dev The weighted lower bound of ES at `alphaBps` (rounded down) from
    /// `certificate`'s witnesses.
    function _lowerBound(
        Portfolio calldata portfolio,
        Marks memory marks,
        LiquidationCertificate calldata certificate,
        IScenarioRegistry.ScenarioSet memory set,
        uint16 alphaBps
    ) internal view returns (int256) {
        (uint256 kNum, uint256 whole, uint256 frac) = ExpectedShortfall.tailWeight(set.n, alphaBps);
        int256[] memory losses = _witnessLosses(
            portfolio, marks, certificate, set, ExpectedShortfall.witnessCount(whole, frac)
        );
        return ExpectedShortfall.weightedLowerBound(losses, kNum, frac);
    }

    // ---------------------------------------------------------------- valuation

    /// @dev Spot marks for the assets `portfolio` holds perps or options on, and implied
    /// vols for the option underlyings; 0 for the others (never read).
    function _marks(Portfolio calldata portfolio) internal view returns (Marks memory marks) {
        uint256 assets = portfolio.spotExposure.length;
        marks.spot = new int256[](assets);
        marks.vol = new int256[](assets);
        marks.time = block.timestamp;
        for (uint256 asset; asset < assets; ++asset) {
            // slither-disable-next-line calls-loop
            if (portfolio.spotExposure[asset] != 0) marks.spot[asset] = oracle.price(asset);
        }
        uint256 count = portfolio.options.length;
        marks.optionValues = new int256[](count);
        for (uint256 i; i < count; ++i) {
            OptionHolding calldata holding = portfolio.options[i];
            uint256 asset = holding.series.asset;
            // slither-disable-next-line calls-loop,incorrect-equality
            if (marks.spot[asset] == 0) marks.spot[asset] = oracle.price(asset);
            // slither-disable-next-line calls-loop,incorrect-equality
            if (marks.vol[asset] == 0) marks.vol[asset] = oracle.volatility(asset);
            marks.optionValues[i] = _unitValue(holding, marks);
        }
    }

    function _equity(Portfolio calldata portfolio, Marks memory marks)
        internal
        pure
        returns (int256)
    {
        // slither-disable-next-line uninitialized-local
        int256 value;
        for (uint256 asset; asset < marks.spot.length; ++asset) {
            value += portfolio.spotExposure[asset] * marks.spot[asset];
        }
        for (uint256 i; i < marks.optionValues.length; ++i) {
            value += portfolio.options[i].size * marks.optionValues[i];
        }
        return portfolio.balance + value.mulDiv(1, WAD, Math.Rounding.Floor);
    }

    /// @dev sum over perps and options of |size| * spot / WAD, rounded up: the notional of
    /// the underlying each position moves with.
    function _grossNotional(Portfolio calldata portfolio, int256[] memory spot)
        internal
        pure
        returns (int256)
    {
        // slither-disable-next-line uninitialized-local
        uint256 units;
        for (uint256 asset; asset < spot.length; ++asset) {
            units += SignedMath.abs(portfolio.spotExposure[asset]) * uint256(spot[asset]);
        }
        for (uint256 i; i < portfolio.options.length; ++i) {
            OptionHolding calldata holding = portfolio.options[i];
            units += SignedMath.abs(holding.size) * uint256(spot[holding.series.asset]);
        }
        return SafeCast.toInt256(Math.ceilDiv(units, uint256(WAD)));
    }

    function _scenarioLoss(
        Portfolio calldata portfolio,
        Marks memory marks,
        int256[] calldata spotReturns,
        int256[] calldata volShifts
    ) internal view returns (int256) {
        int256 pnl = _perpPnl(portfolio, marks, spotReturns)
            + _optionPnl(portfolio, marks, spotReturns, volShifts);
        return (-pnl).mulDiv(1, WAD, Math.Rounding.Ceil);
    }

    /// @dev sum over perps of size * mulWad(mark, r, Floor), not yet divided by WAD.
    function _perpPnl(
        Portfolio calldata portfolio,
        Marks memory marks,
        int256[] calldata spotReturns
    ) internal pure returns (int256 pnl) {
        for (uint256 asset; asset < marks.spot.length; ++asset) {
            int256 size = portfolio.spotExposure[asset];
            if (size == 0) continue;
            _requireCovered(asset, spotReturns.length);
            pnl += size * marks.spot[asset].mulWad(spotReturns[asset], Math.Rounding.Floor);
        }
    }

    /// @dev sum over options of size * (shocked value - value), not yet divided by WAD; an
    /// option whose settlement price is fixed no longer moves.
    function _optionPnl(
        Portfolio calldata portfolio,
        Marks memory marks,
        int256[] calldata spotReturns,
        int256[] calldata volShifts
    ) internal view returns (int256 pnl) {
        for (uint256 i; i < marks.optionValues.length; ++i) {
            OptionHolding calldata holding = portfolio.options[i];
            uint256 asset = holding.series.asset;
            _requireCovered(asset, spotReturns.length);
            _requireCovered(asset, volShifts.length);
            if (holding.settlementPrice != 0) continue;
            int256 shocked = OptionValuation.shockedValue(
                holding.series,
                marks.spot[asset],
                marks.vol[asset],
                spotReturns[asset],
                volShifts[asset],
                marks.time
            );
            pnl += holding.size * (shocked - marks.optionValues[i]);
        }
    }

    /// @dev One option's value: intrinsic at the settlement price once that is fixed, else
    /// Black-Scholes at the marks (intrinsic at the mark from expiry on).
    function _unitValue(OptionHolding calldata holding, Marks memory marks)
        internal
        view
        returns (int256)
    {
        if (holding.settlementPrice != 0) {
            return OptionValuation.intrinsic(holding.series, holding.settlementPrice);
        }
        uint256 asset = holding.series.asset;
        return
            OptionValuation.value(holding.series, marks.spot[asset], marks.vol[asset], marks.time);
    }

    function _requireCovered(uint256 asset, uint256 covered) internal pure {
        if (asset >= covered) revert AssetNotInScenarioSet(asset, covered);
    }

    // ---------------------------------------------------------------- margin certificates

    /// @dev Verify that `certificate` holds exactly the N committed scenarios (each index
    /// once, all leaves rebuilding the root) and return the portfolio's loss under each.
    function _allScenarioLosses(
        Portfolio calldata portfolio,
        Marks memory marks,
        MarginCertificate calldata certificate,
        IScenarioRegistry.ScenarioSet memory set
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
            (leaves[i], losses[i]) = _leafAndLoss(portfolio, marks, certificate, i, set.assetCount);
        }
        bool[] memory flags = new bool[](n - 1);
        for (uint256 i; i < n - 1; ++i) {
            flags[i] = true;
        }
        if (!MerkleProof.multiProofVerify(new bytes32[](0), flags, set.root, leaves)) {
            revert InvalidMarginCertificate(certificate.epoch);
        }
    }

    /// @dev Scenario `i` of `certificate`: its leaf hash and the portfolio's loss under it.
    function _leafAndLoss(
        Portfolio calldata portfolio,
        Marks memory marks,
        MarginCertificate calldata certificate,
        uint256 i,
        uint256 assetCount
    ) internal view returns (bytes32 leaf, int256 loss) {
        uint256 index = certificate.indices[i];
        int256[] calldata spotReturns = certificate.spotReturns[i];
        int256[] calldata volShifts = certificate.volShifts[i];
        _requireAssetCount(index, spotReturns, volShifts, assetCount);
        _requireInDomain(index, spotReturns, volShifts);
        leaf = ScenarioLeaf.hash(index, spotReturns, volShifts);
        loss = _scenarioLoss(portfolio, marks, spotReturns, volShifts);
    }

    // ---------------------------------------------------------------- liquidation certificates

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

    /// @dev Revert unless every spot return of scenario `index` is in (-1e18, MAX_SPOT_RETURN]
    /// and every vol shift in [-MAX_VOLATILITY, MAX_VOLATILITY]. Inside, a scenario value
    /// cannot by itself overflow a loss: the shocked spot is at most 101 times the mark and
    /// the shocked vol is clamped to [0, MAX_VOLATILITY]. The arrays have one length.
    function _requireInDomain(
        uint256 index,
        int256[] calldata spotReturns,
        int256[] calldata volShifts
    ) internal pure {
        for (uint256 asset; asset < spotReturns.length; ++asset) {
            int256 r = spotReturns[asset];
            int256 shift = volShifts[asset];
            if (
                r <= -WAD || r > MAX_SPOT_RETURN || shift < -BlackScholes.MAX_VOLATILITY
                    || shift > BlackScholes.MAX_VOLATILITY
            ) revert ScenarioOutOfDomain(index, asset, r, shift);
        }
    }

    /// @dev Verify witness `i` of `certificate` (order, range, asset count, domain, Merkle
    /// proof) and return its spot returns and vol shifts.
    function _witness(
        LiquidationCertificate calldata certificate,
        uint256 i,
        IScenarioRegistry.ScenarioSet memory set
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
        _requireInDomain(index, spotReturns, volShifts);
        bytes32 leaf = ScenarioLeaf.hash(index, spotReturns, volShifts);
        if (!MerkleProof.verifyCalldata(certificate.proofs[i], set.root, leaf)) {
            revert InvalidScenarioProof(index);
        }
    }

    /// @dev Verify every witness of `certificate` and return its loss for `portfolio`.
    function _witnessLosses(
        Portfolio calldata portfolio,
        Marks memory marks,
        LiquidationCertificate calldata certificate,
        IScenarioRegistry.ScenarioSet memory set,
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
            losses[i] = _scenarioLoss(portfolio, marks, spotReturns, volShifts);
        }
    }
}
