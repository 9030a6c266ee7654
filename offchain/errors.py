"""The root of every error vmargin raises on purpose, and its kinds.

Every exception class of the project derives from one kind, so a caller (the command line
first) catches ``VmarginError`` and names the problem in one line. Each kind keeps the
built-in base callers already catch (``ValueError`` for bad input, ``RuntimeError`` for a
failure outside the caller's input). An ``AssertionError`` is never one of these: it is a
bug of vmargin's own.
"""


class VmarginError(Exception):
    """Root of the errors vmargin raises on purpose."""


class InputError(VmarginError, ValueError):
    """Bad input from the user: a file, an option, an address, data, or a value outside a
    function's documented domain."""


class NodeError(VmarginError, RuntimeError):
    """A node that fails or answers what it must not: an Ethereum node, a peer operator, a
    compute cluster. A later attempt may succeed."""


class ChainStateError(VmarginError, RuntimeError):
    """A state the chain refuses or that contradicts what the caller holds: a reverted
    transaction, chain data that does not rebuild its commitment, another chain."""


class SetupError(VmarginError, RuntimeError):
    """A missing install step or tool; the message names the command that installs it."""
