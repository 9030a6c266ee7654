// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IAttestedMargin} from "./interfaces/IAttestedMargin.sol";
import {IMarginEngine} from "./interfaces/IMarginEngine.sol";
import {IOperatorRegistry} from "./interfaces/IOperatorRegistry.sol";
import {IScenarioRegistry} from "./interfaces/IScenarioRegistry.sol";
import {Clearinghouse} from "./Clearinghouse.sol";
import {MarginEngine} from "./MarginEngine.sol";
import {OperatorRegistry} from "./OperatorRegistry.sol";
import {ScenarioRegistry} from "./ScenarioRegistry.sol";

/// @title AttestedMargin
/// @notice Optimistic initial margin: the risk operators' quorum signature on an account's
/// ES at the clearinghouse's IM level, for a state hash (its portfolio and the oracle marks
/// it was valued at) under the current scenario epoch. Whoever submits it also publishes
/// the state's preimage, which must hash to the attested state; the IM is not taken on
/// trust either: it must equal what the clearinghouse's parameters make of the attested ES
/// for that state. An accepted attestation stands in for a full margin certificate in the
/// clearinghouse until it expires, unless someone voids it first: within the challenge
/// window, a liquidation-style certificate (witness scenarios with their Merkle proofs)
/// evaluated on the published preimage that shows a larger ES lower bound than the attested
/// ES proves the attestation wrong; it is voided and every signer's bond goes to the
/// challenger. The signed digest is keccak256(abi.encode(ATTESTATION_TAG, this contract,
/// attestation)); the attestation names its chain and epoch, so one signed for another
/// chain or an epoch that is no longer current is refused with its own error before any
/// signature is checked. The twin is `proofs/attestation.py`.
contract AttestedMargin is IAttestedMargin {
    /// @notice Domain tag of an attestation.
    bytes32 public constant ATTESTATION_TAG = keccak256("vmargin.AttestedMargin.Attestation");
    /// @notice `claimHashes[id]` of a voided attestation.
    bytes32 public constant VOIDED = bytes32(uint256(1));

    /// @notice The risk operators whose quorum signs attestations and whose bonds are slashed.
    OperatorRegistry public immutable operators;
    /// @notice The clearinghouse whose IM parameters an attestation must match.
    Clearinghouse public immutable clearinghouse;
    /// @notice The clearinghouse's margin engine: state hashes, IM and fraud-proof bounds.
    MarginEngine public immutable engine;
    /// @notice The scenario registry whose current epoch an attestation names.
    ScenarioRegistry public immutable scenarios;
    /// @notice Seconds after acceptance during which an attestation can be disproven.
    uint64 public immutable challengeWindow;

    /// @notice keccak256(abi.encode(claim)) of accepted attestation `id`, VOIDED once
    /// disproven.
    mapping(bytes32 id => bytes32 claimHash) public claimHashes;
    /// @notice The IM of accepted attestation `id`; deleted when it is voided.
    mapping(bytes32 id => Margin) public margins;
    /// @notice The latest attestation accepted for `account` in state `stateHash`.
    mapping(address account => mapping(bytes32 stateHash => bytes32 id)) public attestationOf;

    constructor(
        OperatorRegistry operators_,
        Clearinghouse clearinghouse_,
        uint64 challengeWindow_
    ) {
        operators = operators_;
        clearinghouse = clearinghouse_;
        engine = clearinghouse_.engine();
        scenarios = engine.registry();
        challengeWindow = challengeWindow_;
    }

    /// @notice The digest the operators sign for `attestation`.
    /// @param attestation The attestation.
    /// @return keccak256(abi.encode(ATTESTATION_TAG, this contract, attestation)).
    function attestationDigest(Attestation calldata attestation) public view returns (bytes32) {
        return keccak256(abi.encode(ATTESTATION_TAG, address(this), attestation));
    }

    /// @notice Check `attestation` and its quorum signature: this chain, the current epoch
    /// and its root, not expired, a past valuation, then the quorum (OperatorRegistry
    /// errors). Returns the bond that signed.
    /// @param attestation The attestation.
    /// @param quorum The operators' aggregate signature on its digest.
    /// @return signedBond The bond of the operators who signed.
    function verify(
        Attestation calldata attestation,
        IOperatorRegistry.QuorumSignature calldata quorum
    ) public view returns (uint256 signedBond) {
        if (attestation.chainId != block.chainid) {
            revert WrongChain(attestation.chainId, block.chainid);
        }
        (uint64 epoch, IScenarioRegistry.ScenarioSet memory set) = scenarios.current();
        if (attestation.epoch != epoch) revert EpochNotCurrent(attestation.epoch, epoch);
        if (attestation.scenarioRoot != set.root) {
            revert WrongScenarioRoot(attestation.scenarioRoot, set.root);
        }
        if (block.timestamp > attestation.expiry) {
            revert AttestationExpired(attestation.expiry, block.timestamp);
        }
        if (attestation.blockNumber > block.number || attestation.valuationTime > block.timestamp) {
            revert FutureValuation(attestation.blockNumber, attestation.valuationTime);
        }
        return operators.checkQuorum(attestationDigest(attestation), quorum);
    }

    /// @notice Verify and record `attestation` (anyone may submit it) with its state's
    /// preimage: `state` must hash to the attested state,
    /// the ES must be at the clearinghouse's IM level, and the attested IM must be what the
    /// clearinghouse's IM factor and liquidity add-on make of it for that state. From now
    /// until its expiry the clearinghouse takes its IM for the attested state. Returns its
    /// id, the signed digest.
    /// @param attestation The attestation.
    /// @param quorum The operators' aggregate signature on its digest.
    /// @param state The preimage of the attested state hash.
    /// @return id The attestation's id: its digest.
    function accept(
        Attestation calldata attestation,
        IOperatorRegistry.QuorumSignature calldata quorum,
        State calldata state
    ) external returns (bytes32 id) {
        verify(attestation, quorum);
        uint16 level = clearinghouse.initialMarginAlphaBps();
        if (attestation.alphaBps != level) revert WrongLevel(attestation.alphaBps, level);
        (bytes32 stateHash, int256 margin) = engine.attestedInitialMargin(
            state.portfolio,
            state.spot,
            state.vol,
            attestation.expectedShortfall,
            clearinghouse.initialMarginFactor(),
            clearinghouse.liquidityAddOn()
        );
        if (stateHash != attestation.stateHash) {
            revert StateMismatch(stateHash, attestation.stateHash);
        }
        if (margin != attestation.initialMargin) {
            revert InitialMarginMismatch(attestation.initialMargin, margin);
        }
        id = attestationDigest(attestation);
        if (claimHashes[id] != bytes32(0)) revert AlreadyAccepted(id);
        Claim memory claim = Claim(
            attestation.account,
            stateHash,
            attestation.epoch,
            attestation.alphaBps,
            attestation.valuationTime,
            uint64(block.timestamp),
            attestation.expectedShortfall,
            quorum.signers
        );
        claimHashes[id] = keccak256(abi.encode(claim));
        margins[id] = Margin(SafeCast.toInt128(margin), attestation.epoch, attestation.expiry);
        attestationOf[attestation.account][stateHash] = id;
        emit AttestationAccepted(id, attestation.account, claim, margin, attestation.expiry, state);
    }

    /// @notice The attested IM of `account` in state `stateHash` and its epoch; reverts
    /// with NoValidAttestation unless one is accepted, unexpired and not voided.
    /// @param account The account.
    /// @param stateHash The hash of the account's state (`MarginEngine.attestedState`).
    /// @return initialMargin The attested IM (WAD).
    /// @return epoch The epoch it was attested under.
    function initialMarginOf(address account, bytes32 stateHash)
        external
        view
        returns (int256 initialMargin, uint64 epoch)
    {
        Margin memory margin = margins[attestationOf[account][stateHash]];
        if (margin.expiry == 0 || block.timestamp > margin.expiry) {
            revert NoValidAttestation(account, stateHash);
        }
        return (margin.initialMargin, margin.epoch);
    }

    /// @notice Disprove attestation `id` (accepted with `claim`) within the challenge
    /// window: `state` must hash to the attested state;
    /// `certificate`'s witnesses of the attested epoch, valued at the attested time, must
    /// show a lower bound of ES at the attested level above the attested ES. The
    /// attestation is voided and the signers' bonds go to the caller.
    /// @param id The accepted attestation.
    /// @param claim The claim it was accepted with (as `AttestationAccepted` published it).
    /// @param state The preimage of the attested state hash.
    /// @param certificate Witness scenarios of the attested epoch with Merkle proofs.
    /// @return slashed The bond slashed and paid to the caller.
    function challenge(
        bytes32 id,
        Claim calldata claim,
        State calldata state,
        IMarginEngine.LiquidationCertificate calldata certificate
    ) external returns (uint256 slashed) {
        bytes32 claimHash = claimHashes[id];
        // slither-disable-next-line incorrect-equality
        if (claimHash == bytes32(0)) revert UnknownAttestation(id);
        // slither-disable-next-line incorrect-equality
        if (claimHash == VOIDED) revert AlreadyVoided(id);
        if (claimHash != keccak256(abi.encode(claim))) revert ClaimMismatch(id);
        uint256 closesAt = uint256(claim.acceptedAt) + challengeWindow;
        if (block.timestamp > closesAt) revert ChallengeWindowClosed(id, closesAt);
        int256 bound = _lowerBound(claim, state, certificate);
        if (bound <= claim.expectedShortfall) {
            revert AttestationNotDisproven(bound, claim.expectedShortfall);
        }
        claimHashes[id] = VOIDED;
        delete margins[id];
        slashed = operators.slash(claim.signers, msg.sender);
        // slither-disable-next-line reentrancy-events
        emit AttestationVoided(
            id, claim.account, msg.sender, bound, claim.expectedShortfall, slashed
        );
    }

    /// @dev The ES lower bound `certificate` shows for the attested state, after checking
    /// that `state` is its preimage.
    function _lowerBound(
        Claim calldata claim,
        State calldata state,
        IMarginEngine.LiquidationCertificate calldata certificate
    ) internal view returns (int256 bound) {
        bytes32 stateHash;
        (stateHash, bound) = engine.attestedLowerBound(
            state.portfolio,
            state.spot,
            state.vol,
            claim.valuationTime,
            certificate,
            claim.epoch,
            claim.alphaBps
        );
        if (stateHash != claim.stateHash) revert StateMismatch(stateHash, claim.stateHash);
    }
}
