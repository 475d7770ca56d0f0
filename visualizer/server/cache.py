"""Results computed once for the whole class: a cache every worker shares.

A scene's runs, a lesson page's figures and a 3-D view are pure functions of
the scene's canonical link, so the first student who asks computes them and
everyone after (in any worker process) gets the stored result. The store is
``diskcache`` in a local folder (embedded: nothing to start), bounded to
``VISUALIZER_CACHE_MB`` megabytes (default 256; the least recently stored go
first), with a small in-process layer in front for the hottest entries, bounded
in bytes (``VISUALIZER_MEMORY_MB``, default 64). With ``REDIS_URL`` set, the
store is Redis instead (:class:`RedisStore`), shared by every app server that
uses it.

What is read back from a store never runs code unless this server wrote it:
each value is stored as bytes with an HMAC-SHA256 tag made with the server's
secret (:func:`visualizer.paths.secret`), checked before it is unpickled; a value
whose tag does not match is a miss. An entry larger than ``1 / ENTRY_SHARE`` of
the store is not stored (it would flush the class's cache); a store that fails
(read-only, corrupt, Redis down) is a miss too, said once in the log, and a
corrupt disk store is moved aside and made anew.

Where the files go (the compiled kernels too, see :mod:`visualizer.engine.compiled`):
``$VISUALIZER_CACHE_DIR``, else ``$XDG_CACHE_HOME/optimizer-visualizer`` (or
``~/.cache/...``), else a folder in the system's temporary directory; a folder
another user owns or may write to is refused (:func:`visualizer.paths.cache_root`).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import os
import pathlib
import pickle
import shutil
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from visualizer import paths

F = TypeVar("F", bound=Callable[..., Any])
ENTRY_SHARE = 4
"""An entry over this share of a bound (the store's, or memory's) is not kept there."""
TAG_BYTES = 32

log = logging.getLogger("visualizer.cache")


def root() -> pathlib.Path:
    """The project's cache folder (see :func:`visualizer.paths.cache_root`)."""
    return paths.cache_root()


def _megabytes(variable: str, default: float) -> int:
    try:
        megabytes = float(os.environ.get(variable, str(default)))
    except ValueError:
        megabytes = default
    return int(max(1.0, megabytes) * 1024 * 1024)


def size_limit() -> int:
    """The shared store's bound in bytes (``VISUALIZER_CACHE_MB``, default 256)."""
    return _megabytes("VISUALIZER_CACHE_MB", 256)


def memory_limit() -> int:
    """Each process's in-memory layer's bound in bytes (``VISUALIZER_MEMORY_MB``, default 64)."""
    return _megabytes("VISUALIZER_MEMORY_MB", 64)


_folder: pathlib.Path | None = None


# -- Values as signed bytes ------------------------------------------------------------------
@functools.cache
def _secret() -> bytes:
    return paths.secret()


def seal(k: str, value: Any) -> bytes:
    """``value`` as bytes for a store: its pickle behind a tag over the key and the pickle."""
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return hmac.new(_secret(), k.encode() + b"\0" + data, hashlib.sha256).digest() + data


class Forged(ValueError):
    """Stored bytes that this server's secret did not sign (or for another key)."""


def unseal(k: str, blob: Any) -> Any:
    """The value :func:`seal` stored under ``k``; :class:`Forged` if the tag is wrong
    (nothing is unpickled then)."""
    if not isinstance(blob, bytes | bytearray | memoryview) or len(blob) <= TAG_BYTES:
        raise Forged(f"not a sealed value ({type(blob).__name__})")
    blob = bytes(blob)
    tag, data = blob[:TAG_BYTES], blob[TAG_BYTES:]
    want = hmac.new(_secret(), k.encode() + b"\0" + data, hashlib.sha256).digest()
    if not hmac.compare_digest(tag, want):
        raise Forged("the tag does not match")
    return pickle.loads(data)  # signed by this server: our own value


class RedisStore:
    """The shared store on Redis (``REDIS_URL``): the same calls as ``diskcache.Cache``
    that this module makes, on sealed bytes. Each key lives a day at most, and the
    server's ``maxmemory`` (with ``volatile-lru``: these keys may go, a class's and
    Celery's, which have no expiry, may not) bounds the whole."""

    PREFIX = "optimizer-visualizer:"
    TTL_SECONDS = 24 * 3600

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    def get(self, k: str, default: Any = None) -> Any:
        data = self.client.get(self.PREFIX + k)
        return default if data is None else data

    def set(self, k: str, value: bytes) -> None:
        self.client.set(self.PREFIX + k, value, ex=self.TTL_SECONDS)

    def __contains__(self, k: str) -> bool:
        return bool(self.client.exists(self.PREFIX + k))

    def clear(self) -> None:
        for k in self.client.scan_iter(match=self.PREFIX + "*"):
            self.client.delete(k)

    def ping(self) -> bool:
        return bool(self.client.ping())

    def close(self) -> None:
        self.client.close()


def _disk_store(folder: pathlib.Path) -> Any:
    from visualizer.server import disk

    def open_() -> Any:
        return disk.Cache(str(folder), size_limit=size_limit(),
                          eviction_policy="least-recently-stored", timeout=2)

    try:
        return open_()
    except sqlite3.DatabaseError as exc:  # a corrupt store: keep it aside, start anew
        aside = folder.with_name(f"{folder.name}.corrupt-{int(time.time())}")
        log.warning("the results store %s is unreadable (%s): moved to %s, starting anew",
                    folder, exc, aside.name)
        shutil.move(str(folder), str(aside))
        return open_()


def store() -> Any:
    """The shared store: Redis when ``REDIS_URL`` is set, else one ``diskcache.Cache``
    per process on the same folder (a forked job opens its own: a database
    connection must not cross a fork)."""
    return _store(os.getpid())


def _store_clear() -> None:
    _store.cache_clear()


store.cache_clear = _store_clear  # type: ignore[attr-defined]


@functools.cache
def _store(pid: int) -> Any:
    url = os.environ.get("REDIS_URL")
    if url and _folder is None:
        return RedisStore(url)
    folder = _folder or root() / "results"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return _disk_store(paths.check_private(folder))


def use_folder(folder: pathlib.Path | None) -> pathlib.Path | None:
    """Keep the shared store in ``folder`` from now on (None: the default), and
    return the folder used until now (tests: a store of their own)."""
    global _folder
    previous, _folder = _folder, folder
    store.cache_clear()
    _memory.clear()
    return previous


# -- A store that fails is a miss ----------------------------------------------------------
_said: dict[str, float] = {}
FAULT_LOG_SECONDS = 60.0
"""The same kind of store fault is logged once a minute at most."""


def _fault(what: str, exc: Exception) -> None:
    kind = f"{what.rpartition('; ')[2]}:{type(exc).__name__}"
    now = time.monotonic()
    if now - _said.get(kind, -1e9) >= FAULT_LOG_SECONDS:
        _said[kind] = now
        log.warning("results store: %s failed (%s: %s); answering without it",
                    what, type(exc).__name__, str(exc)[:200])
    if isinstance(exc, sqlite3.DatabaseError) and any(
            sign in str(exc) for sign in ("malformed", "not a database", "corrupt")):
        _rebuild()


def _rebuild() -> None:
    """A disk store found corrupt while in use: set it aside and start a new one."""
    try:
        old = store()
        directory = pathlib.Path(getattr(old, "directory", ""))
        if not directory.name:
            return
        old.close()
        aside = directory.with_name(f"{directory.name}.corrupt-{int(time.time())}")
        shutil.move(str(directory), str(aside))
        store.cache_clear()
        log.warning("the results store %s was corrupt: moved to %s, starting anew",
                    directory, aside.name)
    except Exception as exc:  # noqa: BLE001  (still a miss: the answer is computed)
        log.warning("results store: could not be set aside (%s)", exc)


TRIES = 3
"""A read or write the disk store refuses for a moment (its lock held past its 2 s
timeout by another worker or job) is tried this many times, half a second apart,
before it is a miss: a busy class must not turn a view its job has just stored into
"the cache did not keep it"."""


def _busy(exc: Exception) -> bool:
    """A store that is busy, not broken: diskcache's lock timeout, SQLite's "locked"."""
    return type(exc).__name__ == "Timeout" or "locked" in str(exc)


def _tried(what: str, action: Callable[[], Any], miss: Any) -> Any:
    """``action()`` on the store, again while it is busy (:data:`TRIES`); any other
    fault, or the last busy one, is logged and answered with ``miss``."""
    for attempt in range(TRIES):
        try:
            return action()
        except Exception as exc:  # noqa: BLE001
            if attempt + 1 < TRIES and _busy(exc):
                time.sleep(0.5)
                continue
            _fault(what, exc)
            return miss
    return miss


def _store_get(k: str) -> Any:
    return _tried("reading", lambda: store().get(k, default=None), None)


def _store_set(k: str, blob: bytes) -> None:
    if len(blob) > size_limit() // ENTRY_SHARE:
        log.warning("results store: an entry of %.1f MB is not stored (over 1/%d of the "
                    "store: raise VISUALIZER_CACHE_MB)",
                    len(blob) / 2**20, ENTRY_SHARE)
        return
    _tried("writing", lambda: store().set(k, blob), None)


def _store_has(k: str) -> bool:
    return _tried("reading", lambda: k in store(), False)


# -- This worker's memory --------------------------------------------------------------------
class _Memory:
    """A small thread-safe LRU map, bounded in bytes (each entry counts its sealed size)."""

    def __init__(self, limit: Callable[[], int]) -> None:
        self.limit = limit
        self.items: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self.nbytes = 0
        self.lock = threading.Lock()

    def get(self, key: str) -> tuple[bool, Any]:
        with self.lock:
            if key not in self.items:
                return False, None
            self.items.move_to_end(key)
            return True, self.items[key][0]

    def put(self, key: str, value: Any, nbytes: int) -> None:
        limit = self.limit()
        if nbytes > limit // ENTRY_SHARE:
            return
        with self.lock:
            old = self.items.pop(key, None)
            if old is not None:
                self.nbytes -= old[1]
            self.items[key] = (value, nbytes)
            self.nbytes += nbytes
            while self.nbytes > limit:
                _, (_, size) = self.items.popitem(last=False)
                self.nbytes -= size

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.nbytes = 0


_memory = _Memory(memory_limit)


# -- Keys ------------------------------------------------------------------------------------
SOURCES = ("visualizer", "landscapes")
"""The folders whose Python source shapes a result: all of it is in the version."""


def _code_version() -> str:
    """A hash of every source that shapes a result (the app's own Python, and the
    versions of NumPy and numba): a new version of either never reads what an older
    one stored."""
    import numpy

    top = pathlib.Path(__file__).resolve().parents[2]
    digest = hashlib.sha256(f"numpy {numpy.__version__}".encode())
    try:
        import numba

        digest.update(f"numba {numba.__version__}".encode())
    except ImportError:
        pass
    for folder in SOURCES:
        for path in sorted((top / folder).rglob("*.py")):
            digest.update(str(path.relative_to(top)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


_VERSION = _code_version()


def key(namespace: str, *args: Any) -> str:
    """The store's key for a call: the namespace and a hash of the arguments' reprs
    (strings and numbers: the canonical link and its parts)."""
    digest = hashlib.sha256(repr(args).encode()).hexdigest()[:32]
    return f"{_VERSION}:{namespace}:{digest}"


def shared(namespace: str) -> Callable[[F], F]:
    """Cache a pure function of strings and numbers for every worker.

    The arguments must be canonical (a link from ``scene.runs_of``, numbers
    checked by the engine's ranges): raw text from a request would store every
    spelling of one scene again. The value must be picklable and is shared:
    callers must not change it. Errors are not cached (they are cheap to find again).
    """

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def cached(*args: Any) -> Any:
            return get_or_compute(namespace, args, lambda: fn(*args))

        cached.namespace = namespace  # type: ignore[attr-defined]
        return cached  # type: ignore[return-value]

    return wrap


def get_or_compute(namespace: str, args: tuple, compute: Callable[[], Any]) -> Any:
    """The stored value for ``(namespace, *args)``, else ``compute()``, stored."""
    k = key(namespace, *args)
    found, value = _find(k)
    if not found:
        value = compute()
        blob = seal(k, value)
        _store_set(k, blob)
        _memory.put(k, value, len(blob))
    return value


def kept(namespace: str, args: tuple, compute: Callable[[], Any]) -> bool:
    """Compute ``(namespace, *args)`` into the store unless it is there (as
    :func:`get_or_compute`), and say whether the store holds it now: a value too
    large for its share, or a write the store refused, is not kept (a background
    job says so to its page, which reads the value from the store afterwards)."""
    get_or_compute(namespace, args, compute)
    return contains(namespace, *args)


def lookup(namespace: str, *args: Any) -> Any:
    """The stored value for ``(namespace, *args)``, or None (nothing is computed or stored)."""
    return _find(key(namespace, *args))[1]


def _find(k: str) -> tuple[bool, Any]:
    """Whether ``k`` is stored, and its value: from this worker's memory, else
    from the shared store (then kept in memory too). A value this server did not
    seal is a miss (and is said in the log)."""
    found, value = _memory.get(k)
    if found:
        return True, value
    blob = _store_get(k)
    if blob is None:
        return False, None
    try:
        value = unseal(k, blob)
    except Forged as exc:
        _fault(f"the value at {k} is not this server's ({exc}): ignored; checking a tag", exc)
        return False, None
    except Exception as exc:  # noqa: BLE001  (signed but unreadable: an older library)
        _fault("unpickling", exc)
        return False, None
    _memory.put(k, value, len(blob))
    return True, value


def contains(namespace: str, *args: Any) -> bool:
    """Whether a value is stored for ``(namespace, *args)`` (nothing is computed)."""
    k = key(namespace, *args)
    return _memory.get(k)[0] or _store_has(k)


def healthy() -> tuple[bool, str]:
    """Whether the shared store answers (for ``/healthz``), and what it is."""
    try:
        s = store()
        if isinstance(s, RedisStore):
            s.ping()
            return True, "redis"
        s.get("healthz-probe", default=None)
        return True, "disk"
    except Exception as exc:  # noqa: BLE001
        return False, f"{type(exc).__name__}: {str(exc)[:120]}"


def clear() -> None:
    """Forget everything (tests)."""
    _memory.clear()
    store().clear()
