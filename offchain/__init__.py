"""vmargin: on-chain verifiable Expected Shortfall margin.

The layers, top to bottom (``docs/architecture.md``): ``cli``; the services ``attestation``,
``keeper``, ``audit``, ``settlement`` and the ``oracle``; ``chain``; ``risk`` and ``proofs``;
``numerics``. Errors derive from ``vmargin.errors.VmarginError``.
"""

__version__ = "0.1.0"
