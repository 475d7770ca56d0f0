"""Background jobs: work that can take more than a few tens of milliseconds runs
outside the request, so the students' ordinary drags never queue behind it.

Dash background callbacks (``background=True``). Embedded by default: Dash's
``DiskcacheManager``, each job in a process of its own, its progress and result
passing through a ``diskcache`` folder (``jobs`` in the project's cache
folder, see :func:`visualizer.server.cache.root`), created on first use; nothing to
start. With ``REDIS_URL`` set: Dash's ``CeleryManager`` on Redis, the jobs run
by Celery workers (``celery -A app.celery_app worker``), so several app
servers share one queue (and, see :mod:`visualizer.server.cache`, one results cache).

Students are untrusted, so every job is admitted and bounded here, on both
backends (:func:`guarded` wraps each job's body):

- **One job per client.** The client is the address the request came from (the
  proxy's ``X-Real-IP`` when the request came through the documented nginx, see
  :func:`client_id`). A client's newer job stops its older one, also when the
  page never sent the old job's id.
- **A few jobs per server, queued fairly.** At most :func:`slots` jobs compute
  at once (``VISUALIZER_JOB_SLOTS``, default half the cores); the others wait in
  arrival order, and since each client has one job at most, that order is round
  robin by client. A waiting job's bar says how many are ahead; past
  :func:`max_waiting` a job is refused at once ("the server is busy"), and one
  that waited ``WAIT_SECONDS`` for its turn gives up with that message. Jobs run
  at a lower CPU priority than requests (``nice``), so a drag never waits for one,
  and their pages ask after them every ``POLL_MS``.
- **Bounded in time and memory.** A job is stopped past ``LIMIT_SECONDS`` of
  computing (CPU time: the budget it was admitted with, plus a margin), past
  ``WALL_SECONDS`` however busy the machine, when its CPU time stops advancing
  for ``STALL_SECONDS`` (a hang), or when its worker is gone;
  its memory is capped (``VISUALIZER_JOB_MB``, default 1024, on top of what the
  worker had). Each stop ends with a message naming what to lower; a job that
  does not answer its stop within ``GRACE_SECONDS`` is ended at once.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import pathlib
import resource
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from visualizer import engine
from visualizer.engine import compiled
from visualizer.server import cache

EXPIRE_SECONDS = 600
"""How long a finished job's result is kept for the page to fetch."""
LIMIT_SECONDS = 8.0
"""The most CPU seconds a job may compute once admitted: the engine's job budget
(5 s, estimated before it starts) with room for an estimate that was low."""
WALL_SECONDS = 30.0
"""The most seconds a job may run once admitted, however busy the machine (jobs
run at a lower priority than requests, so a busy class slows them down)."""
STALL_SECONDS = 10.0
"""A running job whose process's CPU time does not advance for this long is hung:
stopped (longer than a store's own lock timeout, 5 s, which a job may wait out)."""
WAIT_SECONDS = 30.0
"""A job still waiting for a slot after this long gives up: the server is busy."""
GRACE_SECONDS = 2.0
"""How long a job has to wind down after it is told to stop, before it is ended."""
HEARTBEAT_SECONDS = 1.0
"""How often a waiting or running job says it is alive; one silent for
``5 x`` this is taken for dead and leaves the queue."""
POLL_SECONDS = 0.2
POLL_MS = 500
"""How often a page asks after its job (the callbacks' ``interval``): each ask is a
request, so a class's waiting jobs must not ask too often."""
NICE = 10
"""Jobs run at this lower CPU priority than the requests."""

log = logging.getLogger("visualizer.jobs")


class JobStopped(ValueError):
    """A job stopped before its end: past its limit, hung, superseded or cancelled.
    A ``ValueError``, so the pages show its message as they show a budget's."""


class Superseded(JobStopped):
    """The client started a newer job: this one gives way (nothing is shown)."""


def redis_url() -> str | None:
    """``REDIS_URL`` if set: then jobs and results go through Redis."""
    return os.environ.get("REDIS_URL") or None


def slots() -> int:
    """How many jobs may compute at once (``VISUALIZER_JOB_SLOTS``, default half the cores)."""
    try:
        return max(1, int(os.environ["VISUALIZER_JOB_SLOTS"]))
    except (KeyError, ValueError):
        return max(1, (os.cpu_count() or 2) // 2)


def max_waiting() -> int:
    """How many jobs may wait for a slot (``VISUALIZER_JOB_QUEUE``, default 16); a job
    beyond them is refused at once with a message, so a flood of jobs costs the
    server a few quick answers, not a long queue of processes and polls."""
    try:
        return max(1, int(os.environ["VISUALIZER_JOB_QUEUE"]))
    except (KeyError, ValueError):
        return 16


def memory_limit() -> int:
    """The bytes a job may add to its worker's (``VISUALIZER_JOB_MB``, default 1024)."""
    try:
        return int(max(64.0, float(os.environ.get("VISUALIZER_JOB_MB", "1024"))) * 2**20)
    except ValueError:
        return 1024 * 2**20


# -- Who asks ----------------------------------------------------------------------------------
TRUSTED_PROXIES = ("127.0.0.1", "::1")
"""Peers whose ``X-Real-IP`` is believed: the documented nginx, on this machine."""


def client_id() -> str:
    """The client of the current request: its address, or the address the local
    reverse proxy (nginx, on 127.0.0.1) says it forwarded the request for.
    A browser cannot choose it: a header from anyone else is ignored."""
    from flask import has_request_context, request

    if not has_request_context():
        return "local"
    peer = request.remote_addr or "unknown"
    forwarded = request.headers.get("X-Real-IP", "")
    if peer in TRUSTED_PROXIES and forwarded and len(forwarded) <= 45:
        return forwarded.strip()
    return peer


CONTEXT_KEY = "visualizer_job"
"""Where a job's admission ticket rides in the context Dash hands to the job."""


def _ticket() -> dict:
    return {"client": client_id(), "token": uuid.uuid4().hex, "asked": time.time()}


def current_ticket() -> dict | None:
    """The ticket of the job this process runs (None outside a job)."""
    from dash._callback_context import context_value

    try:
        ticket = context_value.get().get(CONTEXT_KEY)
    except LookupError:
        return None
    return ticket if isinstance(ticket, dict) else None


# -- The queue: one board every worker (and, with Redis, every machine) shares ---------------
class Board:
    """The jobs' shared queue: ``{"queue": [[token, client, heartbeat], ...],
    "current": {client: token}}``, changed atomically by :meth:`update`."""

    KEY = "visualizer-job-board"

    def __init__(self, store: Any) -> None:
        self.store = store  # a diskcache.Cache, or a redis.Redis

    def update(self, change: Callable[[dict], Any]) -> Any:
        """Apply ``change(state)`` (it edits the state in place) atomically; its answer."""
        if hasattr(self.store, "transact"):
            with self.store.transact():
                state = self.store.get(self.KEY) or {"queue": [], "current": {}}
                answer = change(state)
                self.store.set(self.KEY, state)
                return answer
        import redis

        while True:
            with self.store.pipeline() as pipe:
                try:
                    pipe.watch(self.KEY)
                    raw = pipe.get(self.KEY)
                    state = json.loads(raw) if raw else {"queue": [], "current": {}}
                    answer = change(state)
                    pipe.multi()
                    pipe.set(self.KEY, json.dumps(state), ex=3600)
                    pipe.execute()
                    return answer
                except redis.WatchError:
                    continue


def board() -> Board:
    """This process's handle on the shared queue (a forked job opens its own: a
    database connection is not shared across a fork)."""
    return _board(os.getpid())


@functools.cache
def _board(pid: int) -> Board:
    if redis_url():
        import redis

        return Board(redis.Redis.from_url(redis_url(), socket_timeout=5))
    return Board(_jobs_cache())


def _prune(state: dict, now: float) -> None:
    dead = 5 * HEARTBEAT_SECONDS
    state["queue"] = [e for e in state["queue"] if now - e[2] < dead
                      and state["current"].get(e[1]) == e[0]]
    live = {e[1] for e in state["queue"]}
    state["current"] = {c: t for c, t in state["current"].items() if c in live}


def _join(ticket: dict) -> None:
    """Put the ticket in the queue as its client's one job (its older one gives way)."""
    def change(state: dict) -> None:
        now = time.time()
        state["current"][ticket["client"]] = ticket["token"]
        state["queue"].append([ticket["token"], ticket["client"], now])
        _prune(state, now)
    board().update(change)


def _place(ticket: dict) -> int | None:
    """Beat the ticket's heart; how many jobs are ahead of it beyond the free slots
    (0: it may compute), or None if it was superseded or fell out of the queue."""
    n = slots()

    def change(state: dict) -> int | None:
        now = time.time()
        for entry in state["queue"]:
            if entry[0] == ticket["token"]:
                entry[2] = now
        _prune(state, now)
        tokens = [e[0] for e in state["queue"]]
        if ticket["token"] not in tokens:
            return None
        return max(0, tokens.index(ticket["token"]) - n + 1)
    return board().update(change)


def _leave(ticket: dict) -> None:
    def change(state: dict) -> None:
        state["queue"] = [e for e in state["queue"] if e[0] != ticket["token"]]
        if state["current"].get(ticket["client"]) == ticket["token"]:
            del state["current"][ticket["client"]]
    with contextlib.suppress(Exception):
        board().update(change)


def waiting_label(ahead: int) -> str:
    return f"waiting: {ahead} ahead" if ahead else "computing"


# -- The guard around a job's body --------------------------------------------------------------
_stop_reason: list[str] = []


def _on_stop_signal(signum: int, frame: Any) -> None:
    raise JobStopped(_stop_reason[-1] if _stop_reason else "Stopped.")


class _Watch:
    """A thread beside the job: it stops the job when its client asked for a newer
    one, when it hangs, when its worker is gone, or past its deadline."""

    def __init__(self, ticket: dict, hard_stop: Callable[[str], None] | None) -> None:
        self.ticket = ticket
        self.hard_stop = hard_stop
        self.parent = os.getppid()
        self.main = threading.main_thread().ident
        try:  # the job's own CPU time: the main thread's, not the process's
            self.clock = time.pthread_getcpuclockid(self.main)
        except (AttributeError, OSError):
            self.clock = None
        self.cpu_deadline = float("inf")
        self.deadline = float("inf")
        self.running = False
        self.done = threading.Event()
        self.told: float | None = None
        self.signal = threading.current_thread() is threading.main_thread()
        self.thread = threading.Thread(target=self._watch, name="visualizer-job-watch",
                                       daemon=True)

    def cpu(self) -> float:
        """The CPU seconds the job's thread has used."""
        return time.clock_gettime(self.clock) if self.clock is not None else time.process_time()

    def work(self, cpu: float) -> float:
        """Of ``cpu``, what went to computing (compiling kernels, once per machine,
        is not the job's work: it does not count)."""
        return cpu - engine.compile_seconds(self.main, cpu)

    def start_running(self) -> None:
        self.cpu_deadline = self.work(self.cpu()) + LIMIT_SECONDS
        self.deadline = time.monotonic() + WALL_SECONDS
        self.running = True

    def _stop(self, reason: str, superseded: bool = False) -> None:
        if self.told is not None and not self.signal:
            return  # a job outside a main thread (a test's) cannot be told: it is not ended
        if self.told is not None:
            if time.monotonic() - self.told > GRACE_SECONDS:
                log.warning("job %s did not stop within %g s: ended", self.ticket["token"][:8],
                            GRACE_SECONDS)
                if self.hard_stop is not None:
                    self.hard_stop(reason)
                os._exit(1)
            return
        if self.done.is_set():
            return
        self.told = time.monotonic()
        _stop_reason.append(("superseded: " if superseded else "") + reason)
        if self.signal:
            signal.pthread_kill(self.main, signal.SIGUSR2)

    def _watch(self) -> None:
        # a hang is the whole process idle (a job may wait on a compile in another thread)
        cpu, cpu_at = time.process_time(), time.monotonic()
        beat = 0.0
        while not self.done.wait(POLL_SECONDS):
            now = time.monotonic()
            if os.getppid() != self.parent:  # the worker is gone: so is its job
                os._exit(0)
            if now - beat >= HEARTBEAT_SECONDS and self.running:
                beat = now
                try:
                    if _place(self.ticket) is None:
                        self._stop("a newer job of this client replaced it", superseded=True)
                        continue
                except Exception as exc:  # noqa: BLE001  (the board is down: keep the limits)
                    log.warning("job board: %s", exc)
            used, busy = self.cpu(), time.process_time()
            if not self.running:
                cpu, cpu_at = busy, now
                continue
            if self.work(used) > self.cpu_deadline:
                self._stop(f"Stopped after {LIMIT_SECONDS:g} s of computing, the most a background "
                           "job may take: lower the epochs, the grid or the number of optimizers.")
            elif now > self.deadline:
                self._stop(f"Stopped after {WALL_SECONDS:g} s: the server is busy. Try again in a "
                           "moment, or lower the epochs, the grid or the number of optimizers.")
            elif busy - cpu > 0.05:
                cpu, cpu_at = busy, now
            elif now - cpu_at > STALL_SECONDS:
                self._stop(f"Stopped: the computation made no progress for {STALL_SECONDS:g} s. "
                           "Try again.")


def _cap_memory() -> None:
    """Cap this process's address space at what it has now plus the job's share."""
    try:
        import psutil

        vms = psutil.Process().memory_info().vms
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        want = vms + memory_limit()
        if hard != resource.RLIM_INFINITY:
            want = min(want, hard)
        resource.setrlimit(resource.RLIMIT_AS, (want, hard))
    except (ImportError, ValueError, OSError) as exc:
        log.warning("could not cap a job's memory: %s", exc)


def _uncap_memory() -> None:
    with contextlib.suppress(ValueError, OSError):
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))


_answer: list[Callable[[Any], None]] = []
"""Set by the disk manager in a job's own process: how to store the job's answer
when it has to be ended without its cooperation (Celery's own ``task_time_limit``
ends such a job there)."""


@contextlib.contextmanager
def admitted(report: Callable[[int, str], None],
             hard_stop: Callable[[str], None] | None = None) -> Iterator[None]:
    """Run the block as this process's job: wait for a slot (``report(0, "waiting:
    2 ahead")`` meanwhile), then compute under the limits. Raises
    :class:`JobStopped` (or :class:`Superseded`) when the job is stopped; one that
    does not stop in time is ended after ``hard_stop(message)``."""
    ticket = current_ticket() or _ticket()
    watch = _Watch(ticket, hard_stop)
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGUSR2, _on_stop_signal) if in_main else None
    _stop_reason.clear()
    with contextlib.suppress(OSError):
        niceness = os.nice(0)
        if niceness < NICE:
            os.nice(NICE - niceness)
    watch.thread.start()
    try:
        _join(ticket)
        shown = None
        waiting_since = time.monotonic()
        while True:
            ahead = _place(ticket)
            if ahead is None:
                raise Superseded("a newer job of this client replaced it")
            if ahead == 0:
                break
            if shown is None and ahead > max_waiting():
                raise JobStopped(f"The server is busy: {ahead - 1} jobs are waiting already. "
                                 "Try again in a moment.")
            if time.monotonic() - waiting_since > WAIT_SECONDS:
                raise JobStopped(f"The server is busy: this job waited {WAIT_SECONDS:g} s for its "
                                 "turn. Try again in a moment.")
            if ahead != shown:
                report(0, waiting_label(ahead))
                shown = ahead
            time.sleep(POLL_SECONDS)
        report(0, "computing")
        _cap_memory()
        watch.start_running()
        try:
            yield
        except MemoryError:
            raise JobStopped(f"Stopped: the job needed more than its {memory_limit() >> 20} MB "
                             "of memory. Lower the grid, the epochs or the optimizers.") from None
        except JobStopped as exc:
            if str(exc).startswith("superseded: "):
                raise Superseded(str(exc)) from None
            raise
    finally:
        watch.done.set()
        watch.thread.join()  # no stop signal may arrive once the handler is gone
        _uncap_memory()
        if in_main:
            signal.signal(signal.SIGUSR2, previous)
        _leave(ticket)


def guarded(stopped: Callable[[str], Any], progress: bool = True,
            check: Callable[..., Any] | None = None) -> Callable:
    """Decorate a background callback's body ``fn(set_progress, *args)`` (or
    ``fn(*args)`` with ``progress=False``): it runs :func:`admitted`; its
    ``set_progress`` takes the share done (0 to 1) and drives the callback's two
    progress outputs (:func:`progress_outputs`: the bar, and its label); a stop
    returns ``stopped(message, *args)``; a job its client replaced answers nothing.
    ``check(*args)``, if given, runs first, before the job takes a place in the
    queue (the page's own checks: a request they refuse, forged or not, is answered
    at once); ``fn`` then gets what it returned instead of the args."""

    def wrap(fn: Callable) -> Callable:
        def run(set_progress: Callable | None, args: tuple) -> Any:
            def hard_stop(reason: str) -> None:
                if _answer:
                    _answer[0](stopped(reason, *args))

            def report(percent: int, label: str) -> None:
                if set_progress is not None:
                    set_progress((percent, label))

            def share(done: float) -> None:
                percent = round(100 * min(1.0, max(0.0, done)))
                report(percent, f"{percent} %")

            try:
                given = (check(*args),) if check is not None else args
            except ValueError as exc:
                return stopped(str(exc), *args)
            try:
                with admitted(report, hard_stop):
                    return fn(share, *given) if progress else fn(*given)
            except Superseded:
                from dash.exceptions import PreventUpdate

                raise PreventUpdate from None  # the client's newer job answers
            except JobStopped as exc:
                return stopped(str(exc), *args)

        if progress:
            @functools.wraps(fn)
            def body(set_progress: Callable, *args: Any) -> Any:
                return run(set_progress, args)
        else:
            @functools.wraps(fn)
            def body(*args: Any) -> Any:
                return run(None, args)
        return body

    return wrap


def progress_outputs(bar: str, label: str) -> list:
    """A guarded job's ``progress=``: its bar's value and the label beside it."""
    from dash import Output

    return [Output(bar, "value"), Output(label, "children")]


# -- The managers --------------------------------------------------------------------------------
@functools.cache
def celery_app() -> Any:
    """The Celery app of the jobs (``REDIS_URL`` as broker and result backend)."""
    from celery import Celery

    url = redis_url()
    if not url:
        raise RuntimeError("Celery needs REDIS_URL, e.g. REDIS_URL=redis://127.0.0.1:6379/0")
    app = Celery("optimizer-visualizer", broker=url, backend=url)
    app.conf.update(
        result_expires=EXPIRE_SECONDS,
        # the job's own limits (admitted) stop it first; these end one that does not stop
        task_soft_time_limit=WALL_SECONDS + 60,
        task_time_limit=WALL_SECONDS + 60 + GRACE_SECONDS,
        worker_prefetch_multiplier=1,  # the board orders the jobs, not the prefetch
        task_acks_late=True,
        worker_max_memory_per_child=(memory_limit() + 512 * 2**20) // 1024,  # KB
        broker_connection_retry_on_startup=True,
    )
    return app


_folder: pathlib.Path | None = None


def use_folder(folder: pathlib.Path | None) -> pathlib.Path | None:
    """Keep the job board and the jobs' results in ``folder`` from now on (None: the
    cache folder's ``jobs``), and return the folder used until now. For a test
    session: another session's app on the same machine (a second test process, whose
    jobs come from 127.0.0.1 too) must not share its slots or replace its jobs. Call
    it before the app is imported: the app's background-callback manager keeps the
    folder it was made with."""
    global _folder
    previous, _folder = _folder, folder
    _board.cache_clear()
    return previous


def _jobs_cache() -> Any:
    from visualizer.server import disk

    folder = _folder or cache.root() / "jobs"
    folder.mkdir(mode=0o700, exist_ok=True)
    from visualizer import paths

    paths.check_private(folder)
    # bounded within the class's cache budget: results in flight are small
    return disk.Cache(str(folder), size_limit=max(2**20, cache.size_limit() // 4), timeout=5)


def _with_ticket(context: Any) -> Any:
    context[CONTEXT_KEY] = _ticket()
    return context


@functools.cache
def manager() -> Any:
    """The app's background-callback manager (one per process), admitting jobs."""
    if redis_url():
        from dash import CeleryManager

        class GuardedCeleryManager(CeleryManager):
            def call_job_fn(self, key, job_fn, args, context):  # noqa: ANN001
                return super().call_job_fn(key, job_fn, args, _with_ticket(context))

        return GuardedCeleryManager(celery_app(), expire=EXPIRE_SECONDS)
    from dash import DiskcacheManager

    class GuardedDiskcacheManager(DiskcacheManager):
        """Dash's manager, with each job's ticket in its context, a last answer
        written for a job that has to be ended without its cooperation, and a
        stop that never waits on another worker's job."""

        def terminate_job(self, job):  # noqa: ANN001
            """End a job (its process and any of its own), at once. Dash's waits up
            to a second for the process to go, inside a lock every worker shares:
            a job forked by another worker stays a zombie until that worker reaps
            it, so every poll answered by the other worker waited the full second
            (the class's slow drags). A pid now used by some other program (the
            job long gone) is left alone."""
            import psutil

            if job is None:
                return
            try:
                proc = psutil.Process(int(job))
                if proc.cmdline() != psutil.Process().cmdline():
                    return  # not one of ours
                if proc.status() != psutil.STATUS_ZOMBIE:
                    for child in proc.children(recursive=True):
                        child.kill()
                    proc.kill()
                if proc.ppid() == os.getpid():
                    proc.wait(1)  # our own child: reap it (it is gone or going)
            except (psutil.Error, ValueError, OSError):
                pass

        def call_job_fn(self, key, job_fn, args, context):  # noqa: ANN001
            import multiprocess
            from multiprocess import Process

            from visualizer.server import disk

            multiprocess.active_children()  # reap this worker's finished jobs

            handle = self.handle

            def target(*job_args: Any) -> None:
                compiled.release_after_fork()  # the job runs inside the fork's no_compile()
                _answer[:] = [lambda value: handle.set(key, value)]
                job_fn(*job_args)

            process = Process(target=target,
                              args=(key, self._make_progress_key(key), args,
                                    _with_ticket(context)))
            # the child must not inherit a compile's locks, nor SQLite in mid-call (disk.quiet)
            with compiled.no_compile(), disk.quiet():
                process.start()
            return process.pid

    return GuardedDiskcacheManager(_jobs_cache(), expire=EXPIRE_SECONDS)


def healthy() -> tuple[bool, str]:
    """Whether the job backend answers (for ``/healthz``), and which it is."""
    try:
        if redis_url():
            board().store.ping()
            return True, "celery"
        board().update(lambda state: None)
        return True, "processes"
    except Exception as exc:  # noqa: BLE001
        return False, f"{type(exc).__name__}: {str(exc)[:120]}"
