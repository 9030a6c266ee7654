// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";

import {MockToken} from "../../mocks/MockToken.sol";

/// @notice What a token with transfer hooks calls on an account registered for them.
interface ITransferHook {
    /// @notice `value` of the calling token is moving from `from` to `to`.
    function onTokenTransfer(address from, address to, uint256 value) external;
}

/// @title ReentrantToken
/// @notice A MockToken with ERC-777-style transfer hooks: an account that registered is
/// called before tokens leave it (as ERC-777's `tokensToSend`) and after tokens reach it
/// (as `tokensReceived`). Any token that calls out to a transfer's sender or recipient
/// (ERC-777, ERC-1363, an upgradeable token that later gains hooks) hands control to that
/// account in the middle of the clearinghouse's transfer; the attack tests use this one as
/// the stablecoin and as spot collateral.
contract ReentrantToken is MockToken {
    /// @notice Accounts called on every transfer from or to them.
    mapping(address account => bool) public hasHook;

    constructor(address initialOwner, string memory name, string memory symbol, uint8 decimals_)
        MockToken(initialOwner, name, symbol, decimals_)
    {}

    /// @notice Register (or unregister) the caller for transfer hooks.
    function setHook(bool enabled) external {
        hasHook[msg.sender] = enabled;
    }

    /// @dev The sender's hook runs before the balances move, the recipient's after.
    function _update(address from, address to, uint256 value) internal override {
        if (hasHook[from]) ITransferHook(from).onTokenTransfer(from, to, value);
        super._update(from, to, value);
        if (hasHook[to]) ITransferHook(to).onTokenTransfer(from, to, value);
    }
}

/// @title ReentrantAccount
/// @notice A clearinghouse account that is a contract. Armed with a call, it makes that call
/// (as itself, so the clearinghouse sees this account as `msg.sender`) from the first transfer
/// hook on the chosen side (sending or receiving), once, and bubbles its revert so that a test
/// can expect the re-entrant call's exact error from the outer call.
contract ReentrantAccount is ITransferHook {
    address public target;
    bytes public data;
    bool public whenReceiving;
    /// @notice How many armed calls were made.
    uint256 public callbacks;

    /// @notice Receive transfer hooks from `token`.
    function listen(ReentrantToken token) external {
        token.setHook(true);
    }

    /// @notice Call `target_` with `data_` at the next hook where this account receives
    /// tokens (`whenReceiving_`) or sends them.
    function arm(address target_, bytes calldata data_, bool whenReceiving_) external {
        target = target_;
        data = data_;
        whenReceiving = whenReceiving_;
    }

    /// @inheritdoc ITransferHook
    function onTokenTransfer(address, address to, uint256) external {
        address armed = target;
        if (armed == address(0) || (to == address(this)) != whenReceiving) return;
        target = address(0);
        ++callbacks;
        Address.functionCall(armed, data);
    }
}
