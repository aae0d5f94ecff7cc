"""Running many simulations: the one execution backend behind ``sim run``, ``sim experiment``,
``sim history`` and the calibration.

- **Seeds** are spawned from one master seed by numpy's ``SeedSequence`` in the main process,
  never drawn in a worker, so a run's seed depends only on the master seed and its index.
- **Backends**: this process (:class:`SerialBackend`), local worker processes
  (:class:`ProcessBackend`) or an existing Dask cluster (:class:`DaskBackend`). All three take a
  function and a stream of jobs, keep at most :data:`IN_FLIGHT_PER_WORKER` jobs per worker in
  flight (so memory stays flat however many runs there are), and yield each job with its result
  or its exception as it finishes. :func:`in_order` turns that into the jobs' own order, so the
  output is byte-identical whatever the backend and the number of workers.
- **One scenario load**: an ensemble's scenario is parsed and validated once, in the main
  process; its pickled bytes travel with each chunk of runs and are unpickled once per worker
  process (:func:`scenario_from_bytes` is cached), never parsed again.
- **No orphans**: local workers watch the main process and exit when it is gone, so killing
  ``sim run`` or ``sim experiment`` (even with SIGKILL) ends its workers too.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import pickle
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

import numpy as np

from sim.errors import fail

IN_FLIGHT_PER_WORKER = 2
CHUNKS_PER_WORKER = 4  # an ensemble is cut into about this many chunks per worker
MAX_CHUNK = 25  # runs per chunk at most, so that progress is reported often
PARENT_CHECK_SECONDS = 0.5
MODEL_MODULES = ("sim.model",)

Done = Iterator[tuple[Any, Any]]  # (job, result or the exception it raised)


class WorkersLost(RuntimeError):
    """The local worker processes died (killed, out of memory): the jobs in flight have no
    result, so that a resumable caller runs them again."""


class Backend(Protocol):
    workers: int
    description: str

    def __enter__(self) -> Backend: ...

    def __exit__(self, *exc: object) -> None: ...

    def run(self, function: Callable[[Any], Any], jobs: Iterable[Any]) -> Done: ...


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def spawn_seeds(master_seed: int, runs: int) -> list[int]:
    """Independent per-run seeds derived from the master seed (the same on every machine)."""
    children = np.random.SeedSequence(master_seed).spawn(runs)
    return [int(child.generate_state(1, dtype=np.uint32)[0]) for child in children]


# --- backends ---------------------------------------------------------------------------------


class SerialBackend:
    """Runs jobs one after the other in this process."""

    workers = 1
    description = "1 worker (this process)"

    def __enter__(self) -> SerialBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def run(self, function: Callable[[Any], Any], jobs: Iterable[Any]) -> Done:
        for job in jobs:
            try:
                yield job, function(job)
            except Exception as err:  # noqa: BLE001 - handed to the caller with its job
                yield job, err


def worker_context(preload: tuple[str, ...]) -> multiprocessing.context.BaseContext:
    """A fork server where the platform has one: safe beside threads (tqdm's, Dask's), and each
    worker is forked from a server that has imported ``preload`` once; elsewhere spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(preload))
        return context
    return multiprocessing.get_context("spawn")


def start_workers_early(workers: int, scheduler: str | None = None,
                        preload: tuple[str, ...] = MODEL_MODULES) -> None:
    """Start the fork server now, so that it imports the model on another core while this
    process is still importing and loading the scenario (the pool's workers are forked from it
    later, ready to run). Nothing to do for one worker, a Dask cluster or without a fork
    server."""
    if workers <= 1 or scheduler or "forkserver" not in multiprocessing.get_all_start_methods():
        return
    from multiprocessing import forkserver

    worker_context(preload)
    forkserver.ensure_running()


def watch_parent(parent: int) -> None:
    """In a worker: exit as soon as the main process ``parent`` no longer exists."""
    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_SECONDS)
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:  # the pid was reused by another user's process
                os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


class ProcessBackend:
    """Local worker processes, forked from a server that has imported ``preload``."""

    def __init__(self, workers: int, preload: tuple[str, ...] = MODEL_MODULES):
        self.workers = workers
        self.preload = preload
        self.description = f"{workers} local worker processes"
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ProcessBackend:
        self.pool = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=worker_context(self.preload),
            initializer=watch_parent, initargs=(os.getpid(),))
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def run(self, function: Callable[[Any], Any], jobs: Iterable[Any]) -> Done:
        assert self.pool is not None, "use the backend in a with block"
        queue, pending = iter(jobs), {}
        order: dict[Future, int] = {}
        while True:
            while len(pending) < self.workers * IN_FLIGHT_PER_WORKER:
                job = next(queue, None)
                if job is None:
                    break
                try:
                    future = self.pool.submit(function, job)
                except BrokenProcessPool as err:
                    raise WorkersLost(str(err)) from None
                pending[future], order[future] = job, len(order)
            if not pending:
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=order.__getitem__):
                job = pending.pop(future)
                del order[future]
                error = future.exception()
                if isinstance(error, BrokenProcessPool):
                    raise WorkersLost(str(error)) from None
                yield job, error if error is not None else future.result()


class DaskBackend:
    """Jobs submitted to an existing ``dask.distributed`` scheduler (its workers must have this
    package installed and, for experiments, see the same scenario files)."""

    def __init__(self, address: str):
        self.address = address
        self.client: Any = None
        self.workers = 0
        self.description = f"Dask cluster at {address}"

    def __enter__(self) -> DaskBackend:
        try:
            from distributed import Client
        except ImportError:
            raise fail("--scheduler", "dask.distributed is not installed "
                       "(pip install 'jk-dispute-sim[cluster]')") from None
        try:
            self.client = Client(self.address, timeout="10s")
        except (OSError, TimeoutError, ValueError, TypeError) as err:
            raise fail("--scheduler", f"cannot connect to {self.address} ({err})") from None
        info = self.client.scheduler_info()
        self.workers = sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()) or 1
        self.description = f"Dask cluster at {self.address} ({self.workers} worker threads)"
        return self

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            self.client.close()

    def run(self, function: Callable[[Any], Any], jobs: Iterable[Any]) -> Done:
        from distributed import as_completed

        queue, futures = iter(jobs), {}
        tag = f"{os.getpid()}-{id(self)}"

        def submit() -> Any:
            job = next(queue, None)
            if job is None:
                return None
            future = self.client.submit(function, job, pure=False,
                                        key=f"sim-{tag}-{len(futures)}-{time.monotonic_ns()}")
            futures[future.key] = job
            return future

        first = [f for f in (submit() for _ in range(self.workers * IN_FLIGHT_PER_WORKER)) if f]
        stream = as_completed(first)
        for future in stream:
            job = futures.pop(future.key)
            try:
                yield job, future.result()
            except Exception as err:  # noqa: BLE001 - handed to the caller with its job
                yield job, err
            new = submit()
            if new is not None:
                stream.add(new)


def make_backend(workers: int, scheduler: str | None = None,
                 preload: tuple[str, ...] = MODEL_MODULES) -> Backend:
    """Dask when a scheduler address is given, else local processes, or this process alone."""
    if scheduler:
        return DaskBackend(scheduler)
    return SerialBackend() if workers <= 1 else ProcessBackend(workers, preload)


def in_order(done: Done, jobs: int) -> Iterator[Any]:
    """The results of ``jobs`` numbered jobs (each job a tuple whose first item is its number),
    in job order; a job's exception is raised when its turn comes."""
    waiting: dict[int, Any] = {}
    for next_job in range(jobs):
        while next_job not in waiting:
            job, result = next(done)
            waiting[job[0]] = result
        result = waiting.pop(next_job)
        if isinstance(result, BaseException):
            raise result
        yield result


# --- ensembles of one scenario ----------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def scenario_from_bytes(data: bytes) -> Any:
    """A loaded scenario sent as pickled bytes, unpickled once per worker process."""
    return pickle.loads(data)  # noqa: S301 - bytes made by this package's main process


def run_chunk(job: tuple[int, bytes, tuple[int, ...]]) -> list[Any]:
    """One chunk of an ensemble: the records of its seeds' runs, in seed order."""
    from sim.model import simulate

    _, scenario, seeds = job
    loaded = scenario_from_bytes(scenario)
    return [simulate(loaded, seed).record() for seed in seeds]


def chunk_size(runs: int, workers: int) -> int:
    return max(1, min(MAX_CHUNK, -(-runs // (workers * CHUNKS_PER_WORKER))))


def run_ensemble(loaded: Any, seeds: list[int], workers: int = 1, scheduler: str | None = None,
                 backend: Backend | None = None) -> Iterator[Any]:
    """Yield each run's record in seed order, computed on ``backend`` (an entered backend,
    kept by the caller across ensembles), else on ``workers`` local processes or the Dask
    cluster at ``scheduler``."""
    if backend is None:
        workers = min(workers, len(seeds))
        with make_backend(workers, scheduler) as own:
            yield from run_ensemble(loaded, seeds, backend=own)
        return
    if isinstance(backend, SerialBackend):
        from sim.model import simulate

        for seed in seeds:
            yield simulate(loaded, seed).record()
        return
    data = pickle.dumps(loaded, protocol=pickle.HIGHEST_PROTOCOL)
    size = chunk_size(len(seeds), backend.workers)
    chunks = [(k, data, tuple(seeds[s:s + size]))
              for k, s in enumerate(range(0, len(seeds), size))]
    for records in in_order(backend.run(run_chunk, chunks), len(chunks)):
        yield from records


def progress_bar(total: int, enabled: bool, initial: int = 0) -> Any:
    """The progress bar every long command shows (on standard error)."""
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="run", desc="runs", file=sys.stderr,
                disable=not enabled, smoothing=0.1, dynamic_ncols=True)
