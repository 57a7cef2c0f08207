"""Each pytest-xdist worker gets its own Redis database, derived from EDGATE_TEST_REDIS_URL."""

from __future__ import annotations

import pytest

from tests.redis_db import worker_url


def test_a_serial_run_uses_the_base_as_given() -> None:
    assert worker_url("redis://127.0.0.1:6379/15", None) == "redis://127.0.0.1:6379/15"
    assert worker_url("redis://127.0.0.1:6379/15", "master") == "redis://127.0.0.1:6379/15"


def test_each_worker_counts_down_from_the_base_so_no_two_share_a_database() -> None:
    urls = [worker_url("redis://:pw@10.0.0.5:6380/9", f"gw{k}") for k in range(3)]
    assert urls == [
        "redis://:pw@10.0.0.5:6380/9",
        "redis://:pw@10.0.0.5:6380/8",
        "redis://:pw@10.0.0.5:6380/7",
    ]
    assert worker_url("redis://127.0.0.1:6379/1", "gw2") == "redis://127.0.0.1:6379/15"  # wraps at 16
    assert worker_url("redis://127.0.0.1:6379", "gw1") == "redis://127.0.0.1:6379/15"  # no path: db 0


def test_more_workers_than_databases_is_refused() -> None:
    with pytest.raises(RuntimeError, match="Redis has 16 databases"):
        worker_url("redis://127.0.0.1:6379/15", "gw16")
