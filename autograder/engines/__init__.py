"""Where `grade` runs its jobs: the engine interface (base.py), the local process pool
(local.py) and a Dask cluster (dask_cluster.py). Engines know nothing of what a job holds."""
from autograder.engines.base import Engine
from autograder.engines.local import LocalPool


def make_engine(run, workers: int, scheduler: str | None = None,
                require_sandbox: bool = True, preload: tuple[str, ...] = ()) -> Engine:
    """The local pool of `workers` processes, or the Dask cluster behind `scheduler`.
    `preload`: modules `run` needs, imported ahead in the local pool's processes."""
    if scheduler:
        from autograder.engines.dask_cluster import DaskEngine  # imports distributed only when asked for
        return DaskEngine(run, scheduler, require_sandbox=require_sandbox)
    return LocalPool(run, workers, preload)
