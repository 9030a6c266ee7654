"""What the long-running commands (``vmargin keeper run``, ``vmargin watch``, ``vmargin
operator run``) share: the transaction key options, reading a key, numeric options and
logging to stderr. A bad option raises ServiceInputError, which the CLI prints in one
line; block numbers, epochs, ports and poll intervals, of every command, are checked by
argparse (exit 2)."""

import argparse
import logging
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from rich.console import Console
from rich.logging import RichHandler

from vmargin.errors import InputError


class ServiceInputError(InputError):
    """An option the user gave is unusable; the message names it."""


def add_key_options(parser: argparse.ArgumentParser, who: str) -> None:
    """``--key`` or ``--key-file``: the private key ``who`` sends transactions with."""
    key = parser.add_mutually_exclusive_group(required=True)
    key.add_argument("--key", help=f"the {who}'s private key, 0x-hex (visible to ps)")
    key.add_argument("--key-file", type=Path, help="a file holding the private key")


def read_key(arguments: argparse.Namespace) -> LocalAccount:
    """The account of ``--key`` or of the key in ``--key-file``."""
    if arguments.key_file is not None:
        text, source = read_text(arguments.key_file, "--key-file"), str(arguments.key_file)
    else:
        text, source = arguments.key, "--key"
    try:
        return Account.from_key(text)
    except (ValueError, TypeError):
        raise ServiceInputError(f"{source} is not a private key (32 bytes, 0x-hex)") from None


def read_text(path: Path, option: str) -> str:
    """The stripped text of the file ``option`` names."""
    try:
        return path.read_text().strip()
    except OSError as error:
        raise ServiceInputError(f"{option}: {error}") from None


def decimal_option(option: str, text: str) -> Decimal:
    """The finite number ``text`` that ``option`` gave."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ServiceInputError(f"{option}: {text!r} is not a number") from None
    if not value.is_finite():
        raise ServiceInputError(f"{option}: {text!r} is not a finite number")
    return value


def whole_number(text: str) -> int:
    """An argparse type: a whole number of 64 bits (a block number, an epoch, a count)."""
    value = int(text)
    if not 0 <= value < 2**64:
        raise argparse.ArgumentTypeError(f"{text!r} is not in [0, 2**64)")
    return value


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 0 to 65535 (0: any free port)."""
    value = int(text)
    if not 0 <= value <= 65_535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0 to 65535)")
    return value


def seconds(text: str) -> float:
    """An argparse type: a finite, positive number of seconds."""
    value = float(text)
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def block_option(text: str) -> int | str:
    """An argparse type: "latest" or a block number."""
    return text if text == "latest" else whole_number(text)


def transaction_hash(text: str) -> str:
    """An argparse type: a transaction hash, 0x and 64 hex digits."""
    if not re.fullmatch(r"0x[0-9a-fA-F]{64}", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a transaction hash (0x, 64 hex digits)")
    return text


def log_to_stderr() -> None:
    """Log lines (INFO and up) to stderr, rich-formatted."""
    handler = RichHandler(console=Console(stderr=True), show_path=False)
    logging.basicConfig(level=logging.INFO, format="%(message)s", handlers=[handler])
