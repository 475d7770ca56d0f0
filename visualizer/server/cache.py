"""Results computed once for the whole class: a cache every worker shares.

A scene's runs, a lesson page's figures and a 3-D view are pure functions of
the scene's canonical link, so the first student who asks computes them and
everyone after (in any worker process) gets the stored result. The store is
``diskcache`` in a local folder (embedded: nothing to start), bounded to
``VISUALIZER_CACHE_MB`` megabytes (default 256; the least recently stored go
first), with a small in-process layer in front for the hottest entries. With
``REDIS_URL`` set, the store is Redis instead (:class:`RedisStore`), shared by
every app server that uses it.

Where the files go (the compiled kernels too, see :mod:`visualizer.engine.compiled`):
``$VISUALIZER_CACHE_DIR``, else ``$XDG_CACHE_HOME/optimizer-visualizer`` (or
``~/.cache/...``), else a folder in the system's temporary directory.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pathlib
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from visualizer import paths

F = TypeVar("F", bound=Callable[..., Any])
MEMORY_ENTRIES = 64
"""How many results each process also keeps in memory."""


def root() -> pathlib.Path:
    """The project's cache folder (see :func:`visualizer.paths.cache_root`)."""
    return paths.cache_root()


def size_limit() -> int:
    """The shared store's bound in bytes (``VISUALIZER_CACHE_MB``, default 256)."""
    try:
        megabytes = float(os.environ.get("VISUALIZER_CACHE_MB", "256"))
    except ValueError:
        megabytes = 256.0
    return int(max(1.0, megabytes) * 1024 * 1024)


_folder: pathlib.Path | None = None


class RedisStore:
    """The shared store on Redis (``REDIS_URL``): the same calls as ``diskcache.Cache``
    that this module makes. Values are pickled; each key lives a day at most, and
    the server's ``maxmemory`` (with ``allkeys-lru``) bounds the whole."""

    PREFIX = "optimizer-visualizer:"
    TTL_SECONDS = 24 * 3600

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url)

    def get(self, k: str, default: Any = None) -> Any:
        data = self.client.get(self.PREFIX + k)
        return default if data is None else pickle.loads(data)  # our own values only

    def set(self, k: str, value: Any) -> None:
        self.client.set(self.PREFIX + k, pickle.dumps(value), ex=self.TTL_SECONDS)

    def __contains__(self, k: str) -> bool:
        return bool(self.client.exists(self.PREFIX + k))

    def clear(self) -> None:
        for k in self.client.scan_iter(match=self.PREFIX + "*"):
            self.client.delete(k)

    def close(self) -> None:
        self.client.close()


@functools.cache
def store() -> Any:
    """The shared store: Redis when ``REDIS_URL`` is set, else one ``diskcache.Cache``
    per process on the same folder."""
    url = os.environ.get("REDIS_URL")
    if url and _folder is None:
        return RedisStore(url)
    import diskcache

    return diskcache.Cache(str(_folder or root() / "results"), size_limit=size_limit(),
                           eviction_policy="least-recently-stored")


def use_folder(folder: pathlib.Path | None) -> pathlib.Path | None:
    """Keep the shared store in ``folder`` from now on (None: the default), and
    return the folder used until now (tests: a store of their own)."""
    global _folder
    previous, _folder = _folder, folder
    store.cache_clear()
    _memory.clear()
    return previous


class _Memory:
    """A small thread-safe LRU map: the in-process layer."""

    def __init__(self, entries: int) -> None:
        self.entries = entries
        self.items: OrderedDict[str, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> tuple[bool, Any]:
        with self.lock:
            if key not in self.items:
                return False, None
            self.items.move_to_end(key)
            return True, self.items[key]

    def put(self, key: str, value: Any) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.entries:
                self.items.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


_memory = _Memory(MEMORY_ENTRIES)


def _code_version() -> str:
    """A hash of the app's own source: a new version of the code never reads
    what an older one stored."""
    here = pathlib.Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted([*here.rglob("*.py"), *(here.parent / "landscapes").rglob("*.py")]):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


_VERSION = _code_version()


def key(namespace: str, *args: Any) -> str:
    """The store's key for a call: the namespace and a hash of the arguments' reprs
    (strings and numbers: the canonical link and its parts)."""
    digest = hashlib.sha256(repr(args).encode()).hexdigest()[:32]
    return f"{_VERSION}:{namespace}:{digest}"


def shared(namespace: str) -> Callable[[F], F]:
    """Cache a pure function of strings and numbers for every worker.

    The value must be picklable and is shared: callers must not change it.
    Errors are not cached (they are cheap to find again).
    """

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def cached(*args: Any) -> Any:
            return get_or_compute(namespace, args, lambda: fn(*args))

        cached.namespace = namespace  # type: ignore[attr-defined]
        return cached  # type: ignore[return-value]

    return wrap


_MISSING = object()


def get_or_compute(namespace: str, args: tuple, compute: Callable[[], Any]) -> Any:
    """The stored value for ``(namespace, *args)``, else ``compute()``, stored."""
    k = key(namespace, *args)
    found, value = _find(k)
    if not found:
        value = compute()
        store().set(k, value)
        _memory.put(k, value)
    return value


def lookup(namespace: str, *args: Any) -> Any:
    """The stored value for ``(namespace, *args)``, or None (nothing is computed or stored)."""
    return _find(key(namespace, *args))[1]


def _find(k: str) -> tuple[bool, Any]:
    """Whether ``k`` is stored, and its value: from this worker's memory, else
    from the shared store (then kept in memory too)."""
    found, value = _memory.get(k)
    if found:
        return True, value
    value = store().get(k, default=_MISSING)
    if value is _MISSING:
        return False, None
    _memory.put(k, value)
    return True, value


def contains(namespace: str, *args: Any) -> bool:
    """Whether a value is stored for ``(namespace, *args)`` (nothing is computed)."""
    k = key(namespace, *args)
    return _memory.get(k)[0] or k in store()


def clear() -> None:
    """Forget everything (tests)."""
    _memory.clear()
    store().clear()
