"""matplotlib for the reports' PNGs: the file-only Agg backend, imported on first use so that
commands that draw nothing do not pay for it."""

from pathlib import Path
from types import ModuleType
from typing import Any


def pyplot() -> ModuleType:
    """``matplotlib.pyplot`` on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot

    return matplotlib.pyplot


def save_figure(figure: Any, path: Path) -> None:
    """Lay ``figure`` out, write it to ``path`` as a 100-dpi PNG and free it."""
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot().close(figure)
