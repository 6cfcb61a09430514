"""Work past one process on Dask (``dask.distributed``): SBC, batch work, large cohorts.

:func:`cluster` yields a ``Client``: connected to an existing scheduler (``--scheduler
ADDRESS``), or to a ``LocalCluster`` of worker *processes* with one thread each. Every
worker gets its own PyTensor compile directory (:class:`CompileDirectory`), so that
workers never contend for one compile lock, and JAX/XLA single-threaded, so that one
worker uses one core.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import ExitStack, contextmanager

from distributed import WorkerPlugin

#: Dask's nannies set ``MALLOC_TRIM_THRESHOLD_=65536`` in their workers by default. That
#: setting also turns off glibc's adaptive mmap threshold, so every large numpy temporary
#: is mapped and page-faulted afresh: scoring 8,000 new subjects on two workers took
#: 53.6 s (most of it system time) with it and 14.2 s without it. Local workers go without.
SPAWN_CONFIG = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}

#: Environment of every worker process: one thread for XLA and BLAS.
WORKER_ENV = {
    "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


class CompileDirectory(WorkerPlugin):
    """Worker plugin: a compile directory of the worker's own, set before PyTensor loads.

    Parameters
    ----------
    root : str, optional
        Parent folder of the per-worker directories (a temporary folder by default).
    """

    name = "camg-compile-directory"

    def __init__(self, root: str | None = None):
        self.root = root

    def setup(self, worker) -> None:
        """Point PyTensor at this worker's own directory (Dask calls it in each worker)."""
        root = self.root or tempfile.gettempdir()
        safe = "".join(c if c.isalnum() else "_" for c in str(worker.name))
        directory = os.path.join(root, f"camg_pytensor_{safe}_{os.getpid()}")
        os.makedirs(directory, exist_ok=True)
        flags = os.environ.get("PYTENSOR_FLAGS", "")
        os.environ["PYTENSOR_FLAGS"] = ",".join(filter(None, [flags, f"compiledir={directory}"]))
        os.environ.update(WORKER_ENV)


@contextmanager
def cluster(scheduler: str | None = None, *, workers: int | None = None):
    """A Dask client: on ``scheduler`` if given, else on a local cluster of processes.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``); None or ``"local"`` for a
        local cluster.
    workers : int, optional
        Local worker processes (one thread each); the number of CPUs by default.
    """
    import dask
    from distributed import Client, LocalCluster

    with ExitStack() as stack:
        if scheduler and scheduler != "local":
            client = Client(scheduler)
            local = None
        else:
            stack.enter_context(dask.config.set(SPAWN_CONFIG))  # also for restarts
            local = LocalCluster(
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",  # any free port (none if bokeh is absent)
                env=WORKER_ENV,
            )
            client = Client(local)
        try:
            client.register_plugin(CompileDirectory())
            yield client
        finally:
            client.close()
            if local is not None:
                local.close()
