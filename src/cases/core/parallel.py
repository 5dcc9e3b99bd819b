"""The one way to get a Dask cluster for parallel work (notebook jobs, design simulations).

Both the runner and the design diagnosis can spread work over processes; on a Dask cluster
they use :func:`dask_client`, which either connects to a running scheduler or starts a local
cluster of single-threaded worker processes (one per job slot: kernels and simulations are
CPU-bound and must not share a process), and always closes what it opened.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def dask_client(n_workers: int, scheduler: str | None = None) -> Iterator[Any]:
    """A ``dask.distributed.Client``: on ``scheduler`` (an address such as
    ``tcp://host:8786``) if given, else on a new ``LocalCluster`` of ``n_workers`` processes
    with one thread each and no dashboard. Client and cluster are closed on exit."""
    from dask.distributed import Client, LocalCluster

    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(
            n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
