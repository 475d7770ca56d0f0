"""The app's SQLite stores (``diskcache``), safe across the fork that starts a job.

Without Redis, a background job's process is forked from a worker that has the
stores open, and whose other threads may be inside SQLite at that moment. SQLite
keeps its locks' bookkeeping per process, by file; the child inherits the worker's
and goes on from it (SQLite's own advice: no SQLite state may cross a fork). Two
failures came of it, each reproduced outside the app (``tests/test_disk.py``):

- The child believes the worker's lock on the database is its own, so it takes none.
  When the worker's last connection to that store closed (a request thread's, as the
  thread ended), SQLite found no other process using the file, folded its write-ahead
  log into it and deleted the log, while the child was still writing there: the
  child's write was lost. A basin map's job stored its view and read it back, the
  worker never found it, and the page said "the class's cache did not keep it"
  (8 runs in 20 of the basin-map browser test, one test process); a job's
  answer, stored the same way, can be lost too. So each store keeps one connection
  of its own open (:class:`Cache`'s keeper): the worker's last connection never closes
  while the app runs.
- A child forked while another thread was inside a store call (holding a lock there
  that only that thread would free) waits for ever on its first store call (3 forks
  in 20, two threads using a store beside them; which lock was not traced). So every
  call the app makes on a store holds a gate shared, and :func:`quiet` holds it
  alone: a job forked inside ``quiet`` starts from a parent with no SQLite call in
  flight. The calls are short (a store's own wait for a busy database is bounded by
  its ``timeout``), so a fork waits milliseconds.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from typing import Any

import diskcache


class Gate:
    """Many holders at once (:meth:`shared`, re-entrant per thread) or one
    (:meth:`alone`), which new shared holders wait behind, so a fork is never starved."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._holders = 0  # threads holding it shared
        self._alone = False
        self._waiting = 0  # threads waiting to hold it alone
        self._depth = threading.local()

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        depth = getattr(self._depth, "n", 0)
        if depth == 0:
            with self._cond:
                while self._alone or self._waiting:
                    self._cond.wait()
                self._holders += 1
        self._depth.n = depth + 1
        try:
            yield
        finally:
            self._depth.n = depth
            if depth == 0:
                with self._cond:
                    self._holders -= 1
                    if not self._holders:
                        self._cond.notify_all()

    @contextlib.contextmanager
    def alone(self) -> Iterator[None]:
        own = getattr(self._depth, "n", 0) > 0  # this thread's own shared hold (not others')
        with self._cond:
            self._waiting += 1
            try:
                while self._alone or self._holders > int(own):
                    self._cond.wait()
            finally:
                self._waiting -= 1
            self._alone = True
        try:
            yield
        finally:
            with self._cond:
                self._alone = False
                self._cond.notify_all()


_gate = Gate()


def _new_gate() -> None:
    """A forked child starts with a free gate (the parent's was held alone for the fork,
    and its lock may have been held by a thread the child does not have)."""
    global _gate
    _gate = Gate()


os.register_at_fork(after_in_child=_new_gate)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Hold every store call back while the block runs, after the ones in flight end:
    fork a job's process in here."""
    with _gate.alone():
        yield


class Cache(diskcache.Cache):
    """``diskcache.Cache`` whose calls hold the gate shared, with a connection of its
    own kept open for its life (see the module's text). Its iterators are not gated:
    the app does not use them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        with _gate.shared():
            super().__init__(*args, **kwargs)
            # never closed by ``close`` (diskcache calls that in a forked child, on the
            # connections it inherited): it goes with the object
            self._keeper = sqlite3.connect(os.path.join(self.directory, diskcache.core.DBNAME),
                                           check_same_thread=False, isolation_level=None)
            self._keeper.execute("SELECT count(*) FROM Settings").fetchall()

    @contextlib.contextmanager
    def transact(self, retry: bool = False) -> Iterator[None]:
        with _gate.shared(), super().transact(retry):
            yield


def _gated(method: Callable) -> Callable:
    @functools.wraps(method)
    def call(self: Cache, *args: Any, **kwargs: Any) -> Any:
        with _gate.shared():
            return method(self, *args, **kwargs)

    return call


GATED = ("get", "set", "add", "delete", "touch", "pop", "incr", "decr", "read", "clear",
         "cull", "expire", "evict", "check", "volume", "stats", "close",
         "__contains__", "__getitem__", "__setitem__", "__delitem__", "__len__")
"""The calls that run SQL and return when done (every call the app and Dash's
``DiskcacheManager`` make)."""

for _name in GATED:
    setattr(Cache, _name, _gated(getattr(diskcache.Cache, _name)))
