// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {BN254} from "./libraries/BN254.sol";
import {IOperatorRegistry} from "./interfaces/IOperatorRegistry.sol";

/// @title OperatorRegistry
/// @notice The risk operators who attest margin: each one bonds `bondToken`, registers a
/// BN254 BLS key in G1 and G2 with a proof of possession (its signature, by that key, on
/// a message naming the operator, this registry and the chain: no rogue keys), and may
/// sign attestations while active. A quorum signature names its signers in a bitmap of
/// operator indices; it is valid when the signers hold at least `quorumBps` of the active
/// bond and their aggregate signature verifies against the sum of their keys
/// (`BN254.verify`). An operator leaving keeps its bond here for `unbondingDelay`
/// (at least the attestations' challenge window), during which the slasher (the contract
/// that judges fraud proofs) can still take it.
contract OperatorRegistry is IOperatorRegistry, Ownable {
    using SafeERC20 for IERC20;

    /// @notice At most this many operators ever register: one bit each in a signer bitmap.
    uint256 public constant MAX_OPERATORS = 256;
    uint256 internal constant BPS = 10_000;
    /// @notice Domain tag of a proof of possession.
    bytes32 public constant PROOF_OF_POSSESSION_TAG =
        keccak256("vmargin.OperatorRegistry.ProofOfPossession");

    /// @notice The token operators bond.
    IERC20 public immutable bondToken;
    /// @notice The smallest bond an operator registers with.
    uint256 public minimumBond;
    /// @notice The share of the active bond a quorum needs, in basis points.
    uint16 public quorumBps;
    /// @notice Seconds an exiting operator's bond stays here, slashable.
    uint64 public unbondingDelay;
    /// @notice The contract allowed to slash (the fraud-proof judge).
    address public slasher;
    /// @notice The bond of the active operators.
    uint256 public totalActiveBond;
    Operator[] private _operators;
    mapping(address account => uint256 indexPlusOne) private _indexPlusOne;

    constructor(
        address initialOwner,
        IERC20 bondToken_,
        uint256 minimumBond_,
        uint16 quorumBps_,
        uint64 unbondingDelay_
    ) Ownable(initialOwner) {
        bondToken = bondToken_;
        _setQuorumParameters(minimumBond_, quorumBps_, unbondingDelay_);
    }

    /// @notice Set the minimum bond, the quorum share and the unbonding delay.
    /// @param minimumBond_ The smallest bond an operator registers with (> 0).
    /// @param quorumBps_ The share of the active bond a quorum needs (basis points, in (0, 10000]).
    /// @param unbondingDelay_ Seconds an exiting operator's bond stays slashable.
    function setQuorumParameters(uint256 minimumBond_, uint16 quorumBps_, uint64 unbondingDelay_)
        external
        onlyOwner
    {
        _setQuorumParameters(minimumBond_, quorumBps_, unbondingDelay_);
    }

    /// @notice Set the contract allowed to slash (the fraud-proof judge).
    /// @param slasher_ The contract that judges fraud proofs (0: none).
    function setSlasher(address slasher_) external onlyOwner {
        // slither-disable-next-line missing-zero-check
        slasher = slasher_;
        emit SlasherSet(slasher_);
    }

    /// @notice The message an operator's key signs to prove possession at registration.
    /// @param account The operator's account.
    /// @param publicKeyG1 Its G1 key.
    /// @return The digest its key signs.
    function proofOfPossessionDigest(address account, BN254.G1Point memory publicKeyG1)
        public
        view
        returns (bytes32)
    {
        return keccak256(
            abi.encode(
                PROOF_OF_POSSESSION_TAG,
                block.chainid,
                address(this),
                account,
                publicKeyG1.x,
                publicKeyG1.y
            )
        );
    }

    /// @notice Register the caller as operator with BLS keys `publicKeyG1` / `publicKeyG2`,
    /// proven by `proofOfPossession`, bonding `bond` of `bondToken` (approved beforehand).
    /// Returns its index, the bit it signs with.
    /// @param publicKeyG1 The BLS key in G1 (not the point at infinity).
    /// @param publicKeyG2 The same key in G2.
    /// @param proofOfPossession The key's signature on `proofOfPossessionDigest`.
    /// @param bond The bond (at least `minimumBond`).
    /// @return index The operator's index.
    function register(
        BN254.G1Point calldata publicKeyG1,
        BN254.G2Point calldata publicKeyG2,
        BN254.G1Point calldata proofOfPossession,
        uint256 bond
    ) external returns (uint256 index) {
        if (_indexPlusOne[msg.sender] != 0) revert AlreadyRegistered(msg.sender);
        if (_operators.length >= MAX_OPERATORS) revert TooManyOperators();
        if (bond < minimumBond) revert BondTooSmall(bond, minimumBond);
        if (publicKeyG1.x == 0 && publicKeyG1.y == 0) revert KeyAtInfinity(msg.sender);
        bytes32 digest = proofOfPossessionDigest(msg.sender, publicKeyG1);
        if (!BN254.verify(digest, proofOfPossession, publicKeyG1, publicKeyG2)) {
            revert InvalidProofOfPossession(msg.sender);
        }
        index = _operators.length;
        _operators.push(Operator(msg.sender, publicKeyG1, bond, true, 0));
        _indexPlusOne[msg.sender] = index + 1;
        totalActiveBond += bond;
        emit OperatorRegistered(index, msg.sender, bond, publicKeyG1.x, publicKeyG1.y);
        bondToken.safeTransferFrom(msg.sender, address(this), bond);
    }

    /// @notice Stop signing: the caller's bond leaves the quorum now and can be withdrawn
    /// after the unbonding delay.
    function requestExit() external {
        uint256 index = _operatorIndex(msg.sender);
        Operator storage operator = _operators[index];
        if (!operator.active) revert OperatorNotActive(index);
        operator.active = false;
        operator.exitAvailableAt = uint64(block.timestamp) + unbondingDelay;
        totalActiveBond -= operator.bond;
        emit ExitRequested(index, operator.exitAvailableAt);
    }

    /// @notice Withdraw the caller's bond once its unbonding delay has passed.
    function withdrawBond() external {
        uint256 index = _operatorIndex(msg.sender);
        Operator storage operator = _operators[index];
        if (operator.active) revert ExitNotRequested(index);
        if (block.timestamp < operator.exitAvailableAt) {
            revert StillUnbonding(index, operator.exitAvailableAt);
        }
        uint256 amount = operator.bond;
        operator.bond = 0;
        emit BondWithdrawn(index, amount);
        bondToken.safeTransfer(msg.sender, amount);
    }

    /// @notice Check a quorum signature on `digest`: every signer a registered active
    /// operator, their bond at least `quorumBps` of the active bond, the aggregate
    /// signature valid under the sum of their keys. Returns the bond that signed.
    /// @param digest The signed digest.
    /// @param quorum The signers' bitmap, aggregate signature and aggregate G2 key.
    /// @return signedBond The bond of the signers.
    function checkQuorum(bytes32 digest, QuorumSignature calldata quorum)
        external
        view
        returns (uint256 signedBond)
    {
        BN254.G1Point memory apkG1;
        (apkG1, signedBond) = _signers(quorum.signers);
        uint256 required = _requiredBond();
        if (signedBond < required) revert QuorumNotReached(signedBond, required);
        if (!BN254.verify(digest, quorum.signature, apkG1, quorum.apkG2)) {
            revert InvalidSignature(digest);
        }
    }

    /// @notice Take the whole bond of every operator in `signers` (active or unbonding)
    /// and send it to `recipient`; they stop signing. Only the slasher. Returns the total.
    /// @param signers The bitmap of operators slashed.
    /// @param recipient Who receives their bonds.
    /// @return total The bond taken.
    function slash(uint256 signers, address recipient) external returns (uint256 total) {
        if (msg.sender != slasher) revert NotSlasher(msg.sender);
        uint256 count = _operators.length;
        for (uint256 index; index < count; ++index) {
            if (signers & (1 << index) == 0) continue;
            Operator storage operator = _operators[index];
            uint256 amount = operator.bond;
            if (operator.active) {
                operator.active = false;
                // slither-disable-next-line costly-loop
                totalActiveBond -= amount;
            }
            operator.bond = 0;
            total += amount;
            emit OperatorSlashed(index, amount, recipient);
        }
        if (total > 0) bondToken.safeTransfer(recipient, total);
    }

    /// @notice Operator `index`.
    /// @param index An operator index, else `UnknownOperator`.
    /// @return The operator.
    function operatorAt(uint256 index) external view returns (Operator memory) {
        if (index >= _operators.length) revert UnknownOperator(index);
        return _operators[index];
    }

    /// @notice How many operators ever registered.
    /// @return The number of operators.
    function operatorCount() external view returns (uint256) {
        return _operators.length;
    }

    function _setQuorumParameters(uint256 minimumBond_, uint16 quorumBps_, uint64 unbondingDelay_)
        internal
    {
        if (minimumBond_ == 0 || quorumBps_ == 0 || quorumBps_ > BPS) {
            revert InvalidQuorumParameters(minimumBond_, quorumBps_, unbondingDelay_);
        }
        minimumBond = minimumBond_;
        quorumBps = quorumBps_;
        unbondingDelay = unbondingDelay_;
        emit QuorumParametersSet(minimumBond_, quorumBps_, unbondingDelay_);
    }

    /// @dev The sum of the G1 keys and of the bonds of `signers`, all active operators.
    function _signers(uint256 signers)
        internal
        view
        returns (BN254.G1Point memory apkG1, uint256 bond)
    {
        if (signers == 0) revert NoSigners();
        uint256 count = _operators.length;
        if (count < MAX_OPERATORS && signers >> count != 0) {
            revert UnknownOperator(_highestBit(signers));
        }
        for (uint256 index; index < count; ++index) {
            if (signers & (1 << index) == 0) continue;
            Operator storage operator = _operators[index];
            if (!operator.active) revert OperatorNotActive(index);
            apkG1 = BN254.add(apkG1, operator.publicKeyG1);
            bond += operator.bond;
        }
    }

    /// @dev The active bond a quorum needs, rounded up.
    function _requiredBond() internal view returns (uint256) {
        return (totalActiveBond * quorumBps + BPS - 1) / BPS;
    }

    function _operatorIndex(address account) internal view returns (uint256) {
        uint256 indexPlusOne = _indexPlusOne[account];
        if (indexPlusOne == 0) revert NotAnOperator(account);
        return indexPlusOne - 1;
    }

    function _highestBit(uint256 bits) private pure returns (uint256 index) {
        while (bits >> (index + 1) != 0) ++index;
    }
}
