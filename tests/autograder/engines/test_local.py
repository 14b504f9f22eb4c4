"""The engine interface on the local process pool: each key's result comes back once,
jobs run concurrently in distinct processes, a crashed pool process costs only its job.
(The Dask engine runs the same interface on real processes in test_dask.py.)"""
import os
import time

import pytest

from autograder.common.errors import UsageError
from autograder.engines import make_engine
from autograder.engines.base import Completion
from autograder.engines.local import LocalPool


def slow_echo(job):
    """(job, pid, start) after job['sleep'] seconds: shows which process ran what, when."""
    started = time.monotonic()
    time.sleep(job.get("sleep", 0))
    return {"job": job["n"], "pid": os.getpid(), "started": started}


def crash_on_odd(job):
    if job["n"] % 2:
        os._exit(3)  # the pool process dies mid-job, as a segfault would
    return job["n"]


def test_local_pool_reports_every_key_once_with_its_result():
    with make_engine(slow_echo, workers=2) as engine:
        assert isinstance(engine, LocalPool) and engine.n_workers() == 2
        for n in range(6):
            engine.submit(f"k{n}", {"n": n, "sleep": 0.2})
        done = list(engine.completed())
    assert sorted(c.key for c in done) == [f"k{n}" for n in range(6)]
    for completion in done:
        assert completion.failure is None
        assert completion.result["job"] == int(completion.key[1:])
    # two pool processes ran the jobs, concurrently (the first two started together)
    assert len({c.result["pid"] for c in done}) == 2
    first_two = sorted(c.result["started"] for c in done)[:2]
    assert first_two[1] - first_two[0] < 0.15


def test_local_pool_crash_costs_only_the_crashed_jobs():
    with make_engine(crash_on_odd, workers=1) as engine:
        engine.submit("even", {"n": 0})
        done = {c.key: c for c in engine.completed()}
    assert done == {"even": Completion("even", result=0)}
    with make_engine(crash_on_odd, workers=1) as engine:
        engine.submit("odd", {"n": 1})
        done = {c.key: c for c in engine.completed()}
    assert done["odd"].result is None
    assert done["odd"].failure.startswith("grading worker crashed: BrokenProcessPool")


def modules_loaded(job):
    import sys
    return {name: name in sys.modules for name in job["names"]}


def test_local_pool_workers_start_with_the_preloaded_modules_already_imported():
    """`preload` is imported once, in the forkserver, before the workers fork from it."""
    with make_engine(modules_loaded, workers=1, preload=("colorsys",)) as engine:
        engine.submit("k", {"names": ["colorsys", "wave"]})
        (done,) = engine.completed()
    assert done.result == {"colorsys": True, "wave": False}


def test_local_pool_needs_a_worker():
    with pytest.raises(UsageError, match="at least 1 worker"):
        LocalPool(slow_echo, workers=0)


@pytest.mark.parametrize("address", ["localhost", "no-such-file.json"])
def test_scheduler_that_is_neither_address_nor_file_is_refused(address):
    with pytest.raises(UsageError, match="tcp://HOST:PORT"):
        make_engine(slow_echo, workers=1, scheduler=address)


def test_unreachable_scheduler_is_a_usage_error(monkeypatch):
    from autograder.engines import dask_cluster as dask_engine
    monkeypatch.setattr(dask_engine, "CONNECT_TIMEOUT", 2)
    with pytest.raises(UsageError, match="cannot reach the Dask scheduler"):
        make_engine(slow_echo, workers=1, scheduler="tcp://127.0.0.1:9")  # discard port
