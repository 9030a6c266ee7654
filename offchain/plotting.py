"""matplotlib for the reports' PNGs: the file-only Agg backend, imported on first use so that
commands that draw nothing do not pay for it."""

from types import ModuleType


def pyplot() -> ModuleType:
    """``matplotlib.pyplot`` on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot

    return matplotlib.pyplot
