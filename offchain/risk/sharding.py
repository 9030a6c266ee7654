"""Batch ES over many processes or machines: shards of accounts on an executor.

Batch ES shards by account (DESIGN.md, "Scale beyond one machine"): the unit P&L matrix is
small (instruments x scenarios) and goes to every worker; each shard of accounts' sizes is
one task of ``exact_tail_risk`` or ``screened_tail_risk``, and the results come back in
account order. The executor is any ``concurrent.futures.Executor``: a
``ProcessPoolExecutor`` of ``--workers`` processes on this machine, or a Dask cluster's
(``distributed.Client(address).get_executor()``, the optional ``vmargin[distributed]``
extra) for many machines; the code path is the same.
"""

from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from itertools import pairwise

import numpy as np

from vmargin.errors import InputError, NodeError
from vmargin.numerics.expected_shortfall import tail_weight
from vmargin.risk.batch_expected_shortfall import (
    ScreenedRisk,
    TailRisk,
    concatenate_screened_risks,
    concatenate_tail_risks,
    exact_tail_risk,
    screened_tail_risk,
)


class ExecutorUnavailable(NodeError):
    """A Dask scheduler was asked for and the distributed extra is missing or unreachable."""


@contextmanager
def executor_for(workers: int, scheduler: str | None = None) -> Iterator[Executor | None]:
    """The executor for ``--workers`` and ``--scheduler``: None (run in this process) for
    one worker and no scheduler, a process pool of ``workers``, or the Dask cluster at
    ``scheduler`` (``tcp://host:8786``)."""
    if workers < 1:
        raise InputError(f"workers must be at least 1, got {workers}")
    if scheduler is None:
        if workers == 1:
            yield None
            return
        with ProcessPoolExecutor(max_workers=workers) as pool:
            yield pool
        return
    try:
        from distributed import Client
    except ImportError as error:
        raise ExecutorUnavailable(
            "a Dask scheduler needs the distributed extra: pip install 'vmargin[distributed]'"
        ) from error
    try:
        client = Client(scheduler, timeout="10s")
    except OSError as error:
        raise ExecutorUnavailable(f"no Dask scheduler at {scheduler}: {error}") from error
    with client:
        yield client.get_executor()


def shards_of(accounts: int, shards: int) -> list[slice]:
    """``shards`` consecutive, nearly equal slices of ``accounts`` rows (none empty)."""
    bounds = np.linspace(0, accounts, min(shards, max(accounts, 1)) + 1).astype(int)
    return [slice(int(a), int(b)) for a, b in pairwise(bounds)]


def sharded_exact_tail_risk(
    sizes: np.ndarray, unit_pnl: np.ndarray, alpha_bps: int, executor: Executor | None, shards: int
) -> TailRisk:
    """``exact_tail_risk`` of ``sizes`` (A x I object array) in ``shards`` tasks."""
    if executor is None:
        return exact_tail_risk(sizes, unit_pnl, alpha_bps)
    tasks = [
        executor.submit(exact_tail_risk, sizes[shard], unit_pnl, alpha_bps)
        for shard in shards_of(len(sizes), shards)
    ]
    return concatenate_tail_risks(
        [task.result() for task in tasks], tail_weight(unit_pnl.shape[1], alpha_bps).witness_count
    )


def sharded_screened_tail_risk(
    sizes: np.ndarray,
    unit_pnl: np.ndarray,
    unit_pnl_error: np.ndarray,
    alpha_bps: int,
    *,
    executor: Executor | None,
    shards: int,
) -> ScreenedRisk:
    """``screened_tail_risk`` of ``sizes`` (A x I float64) in ``shards`` tasks."""
    if executor is None:
        return screened_tail_risk(sizes, unit_pnl, unit_pnl_error, alpha_bps)
    tasks = [
        executor.submit(screened_tail_risk, sizes[shard], unit_pnl, unit_pnl_error, alpha_bps)
        for shard in shards_of(len(sizes), shards)
    ]
    return concatenate_screened_risks([task.result() for task in tasks])
