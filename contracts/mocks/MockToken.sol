// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title MockToken
/// @notice An ERC-20 that its owner mints, with the decimals it is deployed with. Stands in
/// for the real stablecoin (USDC-like, 6 decimals) and spot collateral tokens (WETH-like,
/// 18 decimals) on a local chain.
contract MockToken is ERC20, Ownable {
    uint8 private immutable _decimals;

    constructor(address initialOwner, string memory name, string memory symbol, uint8 decimals_)
        ERC20(name, symbol)
        Ownable(initialOwner)
    {
        _decimals = decimals_;
    }

    /// @notice The decimals set at deployment.
    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    /// @notice Mint `amount` (token decimals) to `to`.
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
