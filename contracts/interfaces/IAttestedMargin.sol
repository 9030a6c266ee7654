// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IMarginEngine} from "./IMarginEngine.sol";

/// @title IAttestedMargin
/// @notice The structs, errors and events of `AttestedMargin`: attestations of an account's
/// Expected Shortfall, the claims a challenge is judged against, and their outcomes.
interface IAttestedMargin {
    /// @notice An attested ES at level `alphaBps` and the IM it makes (both WAD) of
    /// `account` in the state `stateHash` (`MarginEngine.attestedState`), valued at
    /// `valuationTime` (unix seconds) from the oracle marks of block `blockNumber`; usable
    /// until `expiry` (unix seconds).
    struct Attestation {
        uint256 chainId;
        address account;
        bytes32 stateHash;
        uint64 epoch;
        bytes32 scenarioRoot;
        uint16 alphaBps;
        int256 expectedShortfall;
        int256 initialMargin;
        uint64 blockNumber;
        uint64 valuationTime;
        uint64 expiry;
    }

    /// @notice What a challenge of an accepted attestation is judged against; stored as its
    /// hash, published in full in `AttestationAccepted`.
    struct Claim {
        address account;
        bytes32 stateHash;
        uint64 epoch;
        uint16 alphaBps;
        uint64 valuationTime;
        uint64 acceptedAt;
        int256 expectedShortfall;
        uint256 signers;
    }

    /// @notice The preimage of a state hash: a portfolio and the spot and vol marks (WAD)
    /// it is valued at.
    struct State {
        IMarginEngine.Portfolio portfolio;
        int256[] spot;
        int256[] vol;
    }

    /// @notice What the clearinghouse reads of an accepted attestation (one storage slot).
    struct Margin {
        int128 initialMargin;
        uint64 epoch;
        uint64 expiry;
    }

    /// @notice The attestation was signed for chain `chainId`.
    error WrongChain(uint256 chainId, uint256 expected);
    /// @notice The attestation's epoch is not the current one.
    error EpochNotCurrent(uint64 epoch, uint64 current);
    /// @notice The attestation's scenario root is not its epoch's.
    error WrongScenarioRoot(bytes32 root, bytes32 expected);
    /// @notice The attestation expired at `expiry`.
    error AttestationExpired(uint64 expiry, uint256 timestamp);
    /// @notice The attestation names a block or a valuation time still to come.
    error FutureValuation(uint64 blockNumber, uint64 valuationTime);
    /// @notice The attested ES is at `alphaBps`, the clearinghouse's IM level is `expected`.
    error WrongLevel(uint16 alphaBps, uint16 expected);
    /// @notice The published preimage does not hash to the attested state.
    error StateMismatch(bytes32 given, bytes32 attested);
    /// @notice The attested IM is not what the attested ES makes for the attested state.
    error InitialMarginMismatch(int256 attested, int256 computed);
    /// @notice Attestation `id` was accepted before.
    error AlreadyAccepted(bytes32 id);
    /// @notice No unexpired, unvoided attestation of `account` in state `stateHash`.
    error NoValidAttestation(address account, bytes32 stateHash);
    /// @notice No attestation `id` was ever accepted.
    error UnknownAttestation(bytes32 id);
    /// @notice Attestation `id` was already disproven.
    error AlreadyVoided(bytes32 id);
    /// @notice The challenge's claim is not the one accepted as `id`.
    error ClaimMismatch(bytes32 id);
    /// @notice The challenge window of `id` closed at `closedAt` (unix seconds).
    error ChallengeWindowClosed(bytes32 id, uint256 closedAt);
    /// @notice The challenge's bound does not exceed the attested ES: the attestation stands.
    error AttestationNotDisproven(int256 bound, int256 attestedExpectedShortfall);

    /// @notice `id` accepted: the operators in `claim.signers` attest `claim` and IM
    /// `initialMargin` until `expiry`, for `state` (the preimage of `claim.stateHash`, for
    /// anyone to check).
    event AttestationAccepted(
        bytes32 indexed id,
        address indexed account,
        Claim claim,
        int256 initialMargin,
        uint64 expiry,
        State state
    );
    /// @notice `challenger` proved `id` wrong: ES is at least `bound`, not the attested one;
    /// `slashed` of the signers' bonds went to the challenger.
    event AttestationVoided(
        bytes32 indexed id,
        address indexed account,
        address indexed challenger,
        int256 bound,
        int256 attestedExpectedShortfall,
        uint256 slashed
    );
}
