"""Sharded batch ES equals the single-process engines: on a process pool and on a local
Dask cluster (the same executor code path a multi-machine cluster uses)."""

import random
from concurrent.futures import Executor

import numpy as np
import pytest
from distributed import LocalCluster

from vmargin.risk.batch_expected_shortfall import exact_tail_risk, screened_tail_risk
from vmargin.risk.sharding import (
    ExecutorUnavailable,
    executor_for,
    sharded_exact_tail_risk,
    sharded_screened_tail_risk,
    shards_of,
)


def book(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = random.Random(seed)
    sizes = np.array(
        [[rng.randint(-(10**24), 10**24) for _ in range(6)] for _ in range(301)], dtype=object
    )
    unit_pnl = np.array(
        [[rng.randint(-(10**22), 10**22) for _ in range(250)] for _ in range(6)], dtype=object
    )
    return sizes, unit_pnl


def assert_same_as_one_process(executor: Executor | None, shards: int) -> None:
    sizes, unit_pnl = book(shards)
    exact = exact_tail_risk(sizes, unit_pnl, 9750)
    sharded = sharded_exact_tail_risk(sizes, unit_pnl, 9750, executor, shards)
    assert sharded.expected_shortfall == exact.expected_shortfall
    assert sharded.lower_bound == exact.lower_bound
    assert sharded.value_at_risk == exact.value_at_risk
    assert np.array_equal(sharded.witnesses, exact.witnesses)
    floats, float_pnl, error = sizes.astype(float), unit_pnl.astype(float), np.zeros(6)
    screened = screened_tail_risk(floats, float_pnl, error, 9750)
    sharded_screen = sharded_screened_tail_risk(
        floats, float_pnl, error, 9750, executor=executor, shards=shards
    )
    assert sharded_screen.expected_shortfall_bound == screened.expected_shortfall_bound
    assert np.array_equal(sharded_screen.expected_shortfall, screened.expected_shortfall)


def test_process_pool_shards_equal_one_process() -> None:
    with executor_for(2) as executor:
        assert executor is not None
        assert_same_as_one_process(executor, 5)


def test_local_dask_cluster_shards_equal_one_process() -> None:
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        executor_for(1, cluster.scheduler_address) as executor,
    ):
        assert_same_as_one_process(executor, 4)


def test_shards_cover_every_account_once() -> None:
    assert shards_of(10, 3) == [slice(0, 3), slice(3, 6), slice(6, 10)]
    assert shards_of(2, 8) == [slice(0, 1), slice(1, 2)]
    assert shards_of(0, 4) == [slice(0, 0)]


def test_executor_errors_name_the_problem() -> None:
    with pytest.raises(ValueError, match="workers must be at least 1, got 0"), executor_for(0):
        pass
    with (
        pytest.raises(ExecutorUnavailable, match=r"no Dask scheduler at tcp://127\.0\.0\.1:9"),
        executor_for(1, "tcp://127.0.0.1:9"),
    ):
        pass
