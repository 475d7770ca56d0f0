"""Background jobs are admitted and bounded: one per client (the newest wins), a
few per server in arrival order, stopped past their limits (CPU, wall clock,
memory, a hang), gone with their worker, and never forked into a compile's locks.

The limits are shortened here (monkeypatched) so each test takes a second or two;
the ones that must end a process run in a process of their own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest

from visualizer.server import jobs

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(autouse=True)
def _own_board(tmp_path):
    """A job board of this test's own (a diskcache in a fresh folder)."""
    before = jobs.use_folder(tmp_path / "jobs")
    board = jobs.board()
    yield board
    board.store.close()
    jobs.use_folder(before)


def ticket(client: str) -> dict:
    return {"client": client, "token": f"{client}-{time.perf_counter_ns()}", "asked": time.time()}


def test_a_clients_newer_job_replaces_its_older_one():
    old, new = ticket("10.0.0.7"), ticket("10.0.0.7")
    jobs._join(old)
    assert jobs._place(old) == 0
    jobs._join(new)  # the page never sent the old job's id: it gives way all the same
    assert jobs._place(old) is None and jobs._place(new) == 0


def test_a_board_in_a_folder_of_its_own_is_a_queue_of_its_own(tmp_path, monkeypatch):
    """Two apps on one machine (two test processes) each with a folder of its own: the
    same client's job on one board neither waits behind nor replaces its job on the other."""
    monkeypatch.setenv("VISUALIZER_JOB_SLOTS", "1")
    before = jobs.use_folder(tmp_path / "one")
    try:
        first = ticket("127.0.0.1")
        jobs._join(first)
        jobs.use_folder(tmp_path / "two")
        second, third = ticket("127.0.0.1"), ticket("10.0.0.9")
        jobs._join(second)
        jobs._join(third)
        assert jobs._place(second) == 0 and jobs._place(third) == 1  # the one slot is its own
        jobs.use_folder(tmp_path / "one")
        assert jobs._place(first) == 0  # not replaced by the same client's job on "two"
        assert (tmp_path / "one").is_dir() and (tmp_path / "two").is_dir()
    finally:
        jobs.use_folder(before)


def test_jobs_beyond_the_slots_wait_in_arrival_order_one_per_client(monkeypatch):
    monkeypatch.setenv("VISUALIZER_JOB_SLOTS", "2")
    tickets = [ticket(f"10.0.0.{i}") for i in range(5)]
    for t in tickets:
        jobs._join(t)
    assert [jobs._place(t) for t in tickets] == [0, 0, 1, 2, 3]
    # one student's ten clicks hold one place in the queue, not ten
    for _ in range(10):
        jobs._join(ticket("10.0.0.4"))
    assert len(jobs.board().update(lambda state: list(state["queue"]))) == 5
    jobs._leave(tickets[0])
    assert [jobs._place(t) for t in tickets[1:4]] == [0, 0, 1]
    assert jobs.waiting_label(2) == "waiting: 2 ahead" and jobs.waiting_label(0) == "computing"


def test_a_dead_jobs_place_is_freed(monkeypatch):
    monkeypatch.setenv("VISUALIZER_JOB_SLOTS", "1")
    dead, alive = ticket("10.0.0.1"), ticket("10.0.0.2")
    jobs._join(dead)
    jobs._join(alive)
    assert jobs._place(alive) == 1
    monkeypatch.setattr(jobs, "HEARTBEAT_SECONDS", 0.05)  # the dead one stops beating
    time.sleep(0.3)
    assert jobs._place(alive) == 0


def test_a_waiting_job_says_how_many_are_ahead_then_runs(monkeypatch):
    monkeypatch.setenv("VISUALIZER_JOB_SLOTS", "1")
    first = ticket("10.0.0.1")
    jobs._join(first)
    monkeypatch.setattr(jobs, "current_ticket", lambda: ticket("10.0.0.2"))
    shown = []

    def report(percent, label):
        shown.append(label)
        if label.startswith("waiting"):
            jobs._leave(first)  # the job ahead ends

    with jobs.admitted(report):
        pass
    assert shown == ["waiting: 1 ahead", "computing"]


def test_a_job_past_its_cpu_limit_is_stopped_with_what_to_lower(monkeypatch):
    monkeypatch.setattr(jobs, "LIMIT_SECONDS", 0.5)
    t, cpu = time.perf_counter(), time.thread_time()
    with pytest.raises(jobs.JobStopped, match="lower the epochs, the grid or the number"):
        with jobs.admitted(lambda *a: None):
            while time.perf_counter() - t < 30:
                sum(range(1000))
    assert time.thread_time() - cpu < 1.0  # stopped at its 0.5 s of CPU (and a poll)


def test_a_job_that_stops_making_progress_is_stopped(monkeypatch):
    monkeypatch.setattr(jobs, "STALL_SECONDS", 0.6)
    t = time.perf_counter()
    with pytest.raises(jobs.JobStopped, match="made no progress"):
        with jobs.admitted(lambda *a: None):
            time.sleep(10)  # a hang: no CPU at all
    assert time.perf_counter() - t < 2.5


def test_a_job_past_its_wall_clock_limit_is_stopped(monkeypatch):
    monkeypatch.setattr(jobs, "WALL_SECONDS", 0.5)
    monkeypatch.setattr(jobs, "STALL_SECONDS", 60)
    with pytest.raises(jobs.JobStopped, match="server is busy"):
        with jobs.admitted(lambda *a: None):
            time.sleep(10)


def test_a_job_over_its_memory_is_stopped(monkeypatch):
    monkeypatch.setenv("VISUALIZER_JOB_MB", "200")
    import numpy as np

    with pytest.raises(jobs.JobStopped, match="more than its 200 MB"):
        with jobs.admitted(lambda *a: None):
            np.ones(60_000_000)  # 480 MB
    np.ones(60_000_000)  # the cap is lifted once the job is over


def test_a_guarded_job_answers_its_stop_and_gives_way_to_a_newer_one(monkeypatch):
    from dash.exceptions import PreventUpdate

    monkeypatch.setattr(jobs, "LIMIT_SECONDS", 0.3)

    @jobs.guarded(lambda message, x: {"x": x, "error": message})
    def busy(set_progress, x):
        set_progress(0.5)
        while True:
            sum(range(1000))

    progress = []
    answer = busy(progress.append, 3)
    assert answer["x"] == 3 and "Stopped after 0.3 s of computing" in answer["error"]
    assert progress[0] == (0, "computing") and (50, "50 %") in progress

    @jobs.guarded(lambda message: {"error": message})
    def replaced(set_progress):
        jobs._join(ticket("local"))  # the same client starts another job meanwhile
        while True:
            sum(range(1000))

    monkeypatch.setattr(jobs, "LIMIT_SECONDS", 5)
    monkeypatch.setattr(jobs, "HEARTBEAT_SECONDS", 0.1)
    with pytest.raises(PreventUpdate):
        replaced(progress.append)


def _run(script: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(script)], cwd=ROOT, text=True,
                          capture_output=True, timeout=timeout, env={**os.environ, **env})


def test_a_job_that_ignores_its_stop_is_ended_with_an_answer(tmp_path):
    out = _run(f"""
        import signal, time
        from visualizer.server import jobs
        jobs.LIMIT_SECONDS, jobs.GRACE_SECONDS = 0.3, 0.5
        answers = []
        jobs._answer[:] = [lambda value: open({str(tmp_path / 'answer')!r}, 'w').write(repr(value))]

        @jobs.guarded(lambda message: {{"error": message}})
        def stuck(set_progress):
            signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR2])  # deaf to the stop
            while True:
                sum(range(1000))

        stuck(lambda p: None)
        print("not ended")
        """, VISUALIZER_CACHE_DIR=str(tmp_path))
    assert out.returncode == 1 and "not ended" not in out.stdout
    assert "Stopped after 0.3 s of computing" in (tmp_path / "answer").read_text()


def test_a_job_dies_with_its_worker(tmp_path):
    """A worker that dies (a gunicorn worker killed, restarted) takes its jobs along."""
    out = _run(f"""
        import os, time
        from multiprocess import Process
        from visualizer.server import jobs

        def job():
            with jobs.admitted(lambda *a: None):
                while True:
                    sum(range(1000))

        worker = os.fork()
        if worker == 0:  # the worker: starts a job, then dies
            p = Process(target=job)
            p.start()
            open({str(tmp_path / 'pid')!r}, 'w').write(str(p.pid))
            time.sleep(1.0)
            os._exit(0)
        os.waitpid(worker, 0)
        pid = int(open({str(tmp_path / 'pid')!r}).read())
        t = time.time()
        while time.time() - t < 5:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                print("gone after", round(time.time() - t, 2))
                break
            time.sleep(0.05)
        else:
            os.kill(pid, 9)
            print("still there")
        """, VISUALIZER_CACHE_DIR=str(tmp_path))
    assert out.stdout.startswith("gone after"), out.stdout + out.stderr
    assert float(out.stdout.split()[-1]) < 3.0  # a poll of its watch, on a busy machine


def test_a_job_process_can_load_a_kernel_its_worker_had_not(tmp_path):
    """A job's process (multiprocess, as the job manager starts it) runs its job inside
    the fork's ``no_compile()``: it frees the locks first, or its first kernel waits
    on itself (a job started just after gunicorn renewed its workers hung so)."""
    out = _run("""
        import time
        import multiprocess
        import landscapes
        from visualizer.engine import compiled

        def job(queue):
            compiled.release_after_fork()
            compiled.kernel(landscapes.get("booth"), "gd", wait=True)
            queue.put("loaded")

        queue = multiprocess.Queue()
        with compiled.no_compile():
            p = multiprocess.Process(target=job, args=(queue,))
            p.start()
        print(queue.get(timeout=100))
        p.join(10)
        """, timeout=120, VISUALIZER_CACHE_DIR=str(tmp_path))
    assert out.stdout.strip() == "loaded", out.stdout + out.stderr


def test_a_job_forked_while_a_kernel_compiles_does_not_hang(tmp_path):
    """The fork waits for the compile in progress, so the child does not inherit a
    lock held by a thread it does not have (8 of 8 jobs hung before). The job
    manager forks in ``compiled.no_compile()``, as here."""
    out = _run("""
        import os, time
        import landscapes
        from visualizer.engine import compiled
        ls = landscapes.get("booth")
        compiled.kernel(ls, "adam")  # queued: compiling in the background thread
        time.sleep(0.3)
        t = time.perf_counter()
        with compiled.no_compile():  # as the job manager forks a job's process
            child = os.fork()
        if child == 0:
            compiled.kernel(ls, "gd", wait=True)  # takes the compile locks
            os._exit(0)
        _, status = os.waitpid(child, 0)
        print("child", status, round(time.perf_counter() - t, 1))
        """, timeout=120, VISUALIZER_CACHE_DIR=str(tmp_path))  # an empty cache: a real compile
    assert out.stdout.startswith("child 0 "), out.stdout + out.stderr
