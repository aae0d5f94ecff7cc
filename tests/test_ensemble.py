"""The one execution backend: ordered, identical results on every backend; no orphan workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from sim.ensemble import (
    SerialBackend,
    chunk_size,
    in_order,
    make_backend,
    run_ensemble,
    spawn_seeds,
)


def square(job: tuple[int, int]) -> int:
    if job[1] < 0:
        raise ValueError("negative")
    return job[1] * job[1]


def test_in_order_restores_the_jobs_order_whatever_order_they_finish_in():
    finished = iter([((2, 0), "c"), ((0, 0), "a"), ((3, 0), "d"), ((1, 0), "b")])
    assert list(in_order(finished, 4)) == ["a", "b", "c", "d"]


def test_in_order_raises_a_jobs_exception_when_its_turn_comes():
    finished = iter([((0, 0), 1), ((1, 0), ValueError("boom"))])
    results = in_order(finished, 2)
    assert next(results) == 1
    with pytest.raises(ValueError, match="boom"):
        next(results)


def test_serial_backend_hands_each_job_its_result_or_exception():
    with SerialBackend() as backend:
        done = list(backend.run(square, [(0, 3), (1, -1)]))
    assert done[0] == ((0, 3), 9)
    assert isinstance(done[1][1], ValueError)


def test_process_backend_keeps_results_in_job_order():
    jobs = [(k, k) for k in range(23)]
    with make_backend(2) as backend:
        got = list(in_order(backend.run(square, jobs), len(jobs)))
    assert got == [k * k for k in range(23)]


def test_chunks_are_small_enough_to_share_the_work_and_report_progress():
    assert chunk_size(100, 2) == 13
    assert chunk_size(1, 8) == 1
    assert chunk_size(100_000, 2) == 25


def records_as_bytes(records) -> list[bytes]:
    import pickle

    return [pickle.dumps((r.trajectories, r.indices, r.events, r.status_quo)) for r in records]


def test_records_are_identical_on_one_two_and_dask_workers(history_short):
    distributed = pytest.importorskip("distributed")
    seeds = spawn_seeds(5, 6)
    one = records_as_bytes(run_ensemble(history_short, seeds, workers=1))
    two = records_as_bytes(run_ensemble(history_short, seeds, workers=2))
    with distributed.LocalCluster(processes=False, n_workers=2, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        dask = records_as_bytes(run_ensemble(history_short, seeds,
                                             scheduler=cluster.scheduler_address))
    assert one == two
    assert one == dask


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead too
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_killing_the_main_process_ends_its_workers(tmp_path):
    script = textwrap.dedent("""
        import os, sys, time
        from sim.ensemble import make_backend

        def pid_then_sleep(job):
            # one write of the whole line: print() writes the number and the newline apart,
            # so two workers' lines could interleave on the shared pipe
            os.write(1, f"{os.getpid()}\\n".encode())
            time.sleep(60)

        if __name__ == "__main__":
            with make_backend(2) as backend:
                for _ in backend.run(pid_then_sleep, [(0,), (1,)]):
                    pass
    """)
    (tmp_path / "victim.py").write_text(script, encoding="utf-8")
    main = subprocess.Popen([sys.executable, "victim.py"], cwd=tmp_path, stdout=subprocess.PIPE,
                            text=True)
    workers = [int(main.stdout.readline()) for _ in range(2)]
    assert all(alive(pid) for pid in workers)
    main.send_signal(signal.SIGKILL)
    main.wait()
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [pid for pid in workers if alive(pid)]
    print(f"workers still alive after the main process was killed: {left}")
    assert not left
