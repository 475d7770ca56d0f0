"""The compiled loop: whole trajectories in machine code, cached on disk.

For each landscape this module writes a small Python source file of numba
kernels (once; its name carries a hash of every source it is built from) and
imports it: ``trajectory_<optimizer>`` runs all steps of a group of runs in one
call, with the landscape's gradient, the optimizer's coefficients and its rule
compiled in (the very functions the NumPy loop calls: see
:class:`visualizer.engine.optimizers.Optimizer` and :class:`landscapes.Landscape`);
for a few starts each step is inline, for many it is two vectorized passes
(the gradient, then the rule), each its own small function: LLVM vectorizes
a plain one-dimensional loop about five times better than the same loop
inlined in the trajectory's. ``losses_and_divergence`` and ``gradient`` serve
the rest. The arithmetic is
the same, operation for operation, so both loops give the same numbers to
the last bit (the tests compare them).

numba compiles with ``error_model="numpy"`` (a division by zero gives inf or
NaN, as in NumPy, instead of raising) and without ``fastmath`` (no
reassociation, no fused multiply-add), and caches what it compiled next to the
generated file (``cache=True`` needs functions in a real file: hence the
files). A kernel costs one to four seconds to compile the first time on a machine
and some milliseconds to load in every later process.

Nobody waits for a compile unless they ask to: :func:`kernel` returns a
kernel only once it is ready and otherwise queues it for a background thread,
and the engine answers with the NumPy loop meanwhile. ``kernel(...,
wait=True)`` compiles (or loads) at once. The files go to ``kernels/`` in the
project's cache folder (:func:`visualizer.server.cache.root`: ``$VISUALIZER_CACHE_DIR``,
else ``~/.cache/optimizer-visualizer``).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import inspect
import os
import pathlib
import queue
import sys
import tempfile
import threading
import types
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from visualizer import paths
from visualizer.engine import optimizers

Array = np.ndarray
_VERSION = "5"  # of the template below: part of every file's hash


@functools.cache
def available() -> bool:
    """Whether numba can be imported (the engine falls back to NumPy if not)."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


@functools.cache
def jit(fn: Callable) -> Callable:
    """``fn`` compiled by numba, with the plain Python functions it calls
    (``lerp``, ``_gp_parts``) compiled too, so it can call them."""
    import numba

    namespace = dict(fn.__globals__)
    for name in fn.__code__.co_names:
        if isinstance(namespace.get(name), types.FunctionType):
            namespace[name] = jit(namespace[name])
    clone = types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__,
                               fn.__closure__)
    return numba.njit(error_model="numpy")(clone)


def compilable(landscape: Any) -> bool:
    """Whether the compiled loop can run this landscape: it says it compiles to
    NumPy's numbers (``Landscape.compilable``) and its functions can be imported
    by name from a module (your own formula's cannot)."""
    if not (landscape.compilable and available()):
        return False
    return all(fn.__qualname__ == fn.__name__ and "<" not in fn.__qualname__
               and fn.__module__ in sys.modules for fn in (landscape.fxy, landscape.gradxy))


# -- The generated source ---------------------------------------------------------------

_HEADER = '''\
"""Compiled kernels for the landscape {name!r}: written by visualizer.engine.compiled, do not edit."""
import numba
import numpy as np
from {fmod} import {fname} as _fxy
from {gmod} import {gname} as _gradxy
from visualizer.engine.compiled import jit

_JIT = dict(error_model="numpy", cache=True, nogil=True)
fxy = jit(_fxy)
gradxy = jit(_gradxy)


@numba.njit(**_JIT)
def gradient(p, out):  # p, out: (N, 2)
    for i in range(p.shape[0]):
        out[i, 0], out[i, 1] = gradxy(p[i, 0], p[i, 1])


@numba.njit(**_JIT)
def flat(pts, grads, state, rec):
    # The trajectory's arrays with each run's (K, 2) numbers as one row of n = 2K.
    n = 2 * pts.shape[2]
    return (n, pts.reshape(pts.shape[0], pts.shape[1], n),
            grads.reshape(grads.shape[0], grads.shape[1], n),
            state.reshape(state.shape[0], state.shape[1], n),
            rec.reshape(rec.shape[0], rec.shape[1], rec.shape[2], n))


@numba.njit(**_JIT)
def add_noise(g, noise, scale):  # g, noise: (N, 2); g + scale * noise, as the NumPy loop
    for i in range(g.shape[0]):
        g[i, 0] = g[i, 0] + scale * noise[i, 0]
        g[i, 1] = g[i, 1] + scale * noise[i, 1]


@numba.njit(**_JIT)
def losses_and_divergence(pts, losses, first, x0, x1, y0, y1):
    # pts: (T, N, 2), losses: (T, N), first: (N,) filled with -1. The first
    # loop has no branch, so it vectorizes; the second runs only on the rare
    # step where some point left the bound (or is not finite).
    for t in range(pts.shape[0]):
        n_bad = 0
        for i in range(pts.shape[1]):
            x, y = pts[t, i, 0], pts[t, i, 1]
            loss = fxy(x, y)
            losses[t, i] = loss
            n_bad += not ((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1) & np.isfinite(loss))
        if n_bad:
            for i in range(pts.shape[1]):
                x, y, loss = pts[t, i, 0], pts[t, i, 1], losses[t, i]
                inside = (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1) & np.isfinite(loss)
                if not inside and first[i] < 0:
                    first[i] = t
'''

_TRAJECTORY = '''

from {rule_module} import {rule} as _rule_{opt}  # noqa: E402
from {coefs_module} import {coefs} as _coefs_{opt}  # noqa: E402

rule_{opt} = jit(_rule_{opt})
coefs_{opt} = jit(_coefs_{opt})


@numba.njit(**_JIT)
def step_{opt}(g, p, p_next,{states} c):
    # One step of one run, every number of the row alone (see the module's docstring).
    for e in range(g.shape[0]):
        {rule_call}


@numba.njit(**_JIT)
def few_{opt}(pts, grads, lrs, r0, r1, h, extra0, noise, scale, state, rec, record):
    # A few starts: each step inline (no call per step).
    n, pf, gf, sf, qf = flat(pts, grads, state, rec)
    for r in range(r0, r1):
        s = r - r0
        extra = extra0
        for t in range(grads.shape[0]):
            c, extra = coefs_{opt}(t + 1, lrs[t, r], h, extra)
            p, p_next, g = pf[t, r], pf[t + 1, r], gf[t, r]
            for e in range(0, n, 2):
                g[e], g[e + 1] = gradxy(p[e], p[e + 1])
                if scale != 0.0:
                    g[e] = g[e] + scale * noise[t, e // 2, 0]
                    g[e + 1] = g[e + 1] + scale * noise[t, e // 2, 1]
{views}
            for e in range(n):
                {rule_call}
{record}


@numba.njit(**_JIT)
def many_{opt}(pts, grads, lrs, r0, r1, h, extra0, noise, scale, state, rec, record):
    # Many starts: each step in vectorized passes.
    n, pf, gf, sf, qf = flat(pts, grads, state, rec)
    for r in range(r0, r1):
        s = r - r0
        extra = extra0
        for t in range(grads.shape[0]):
            c, extra = coefs_{opt}(t + 1, lrs[t, r], h, extra)
            gradient(pts[t, r], grads[t, r])
            if scale != 0.0:
                add_noise(grads[t, r], noise[t], scale)
            step_{opt}(gf[t, r], pf[t, r], pf[t + 1, r],{state_args} c)
{record}


@numba.njit(**_JIT)
def trajectory_{opt}(pts, grads, lrs, r0, r1, h, extra0, noise, scale, state, rec, record):
    # Runs r0..r1 - 1 of pts: (T + 1, S, K, 2), row 0 the starts; grads: (T, S, K, 2);
    # lrs: (T, S); h: the hyperparameters; noise: (T, K, 2), added times scale when
    # scale != 0; state: (F, R, K, 2), zeros; rec: (F, T, R, K, 2), written when record.
    # The same arithmetic either way; the faster loop for the number of starts.
    if pts.shape[2] <= 8:
        few_{opt}(pts, grads, lrs, r0, r1, h, extra0, noise, scale, state, rec, record)
    else:
        many_{opt}(pts, grads, lrs, r0, r1, h, extra0, noise, scale, state, rec, record)
'''


def _source(landscape: Any) -> str:
    fx, gx = landscape.fxy, landscape.gradxy
    parts = [_HEADER.format(name=landscape.name, fmod=fx.__module__, fname=fx.__name__,
                            gmod=gx.__module__, gname=gx.__name__)]
    for info in optimizers.OPTIMIZERS.values():
        n = len(info.state_fields)
        names = [f"s{i}" for i in range(n)]
        cells = "".join(f" {s}[e]," for s in names)
        rule_call = (f"p_next[e],{cells.rstrip(',')} = rule_{info.name}(g[e], p[e],{cells} c)"
                     if n else f"p_next[e], = rule_{info.name}(g[e], p[e], c)")
        views = "".join(f"            {s} = sf[{i}, s]\n" for i, s in enumerate(names)).rstrip("\n")
        views = views or "            pass  # no state"
        record = ""
        if n:
            record = ("            if record:\n" + "".join(
                f"                qf[{i}, t, s] = sf[{i}, s]\n" for i in range(n))).rstrip("\n")
        parts.append(_TRAJECTORY.format(
            opt=info.name, rule_module=info.rule.__module__, rule=info.rule.__name__,
            coefs_module=info.coefs.__module__, coefs=info.coefs.__name__,
            states="".join(f" {s}," for s in names), rule_call=rule_call, views=views,
            state_args="".join(f" sf[{i}, s]," for i in range(n)), record=record))
    return "".join(parts)


def _key(landscape: Any, source: str) -> str:
    """A hash of everything the kernels are built from: the template's output and
    the source files of the landscape, the optimizers and this module. numba's
    cache checks only the generated file, so any edit must change its name."""
    files = {inspect.getsourcefile(m) for m in (
        sys.modules[landscape.fxy.__module__], sys.modules[landscape.gradxy.__module__],
        *(sys.modules[f.__module__] for info in optimizers.OPTIMIZERS.values()
          for f in (info.rule, info.coefs)),
        sys.modules[__name__], sys.modules["landscapes"])}
    digest = hashlib.sha256((_VERSION + source).encode())
    for path in sorted(f for f in files if f):
        digest.update(pathlib.Path(path).read_bytes())
    return digest.hexdigest()[:16]


def cache_dir() -> pathlib.Path:
    """The folder of the generated files (created on first use): ``kernels`` in
    the project's cache folder (:func:`visualizer.server.cache.root`)."""
    path = paths.cache_root() / "kernels"
    path.mkdir(exist_ok=True)
    return path


_build_lock = threading.Lock()  # one compile at a time (numba has its own lock too)
_queue_lock = threading.Lock()  # never held during a compile: submitting must not wait


@functools.cache
def _module(landscape_name: str) -> types.ModuleType:
    """The landscape's kernels, written (if missing) and imported."""
    import landscapes

    landscape = landscapes.get(landscape_name)
    source = _source(landscape)
    key = _key(landscape, source)
    path = cache_dir() / f"{landscape.name}_{key}.py"
    if not path.exists():
        # Write aside, then link into place: the first process to get there wins
        # and the file never changes after (numba's cache keys on its mtime).
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as out:
            out.write(source)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    spec = importlib.util.spec_from_file_location(f"_visualizer_kernels_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # numba's cache finds the kernels' module by name
    spec.loader.exec_module(module)
    return module


def _signatures() -> dict[str, Any]:
    """The one signature each kernel is compiled for (C-contiguous arrays)."""
    from numba import types as nt

    def arr(ndim: int) -> Any:
        return nt.Array(nt.float64, ndim, "C")

    return {
        "trajectory": (arr(4), arr(4), arr(2), nt.int64, nt.int64, arr(1), nt.float64, arr(3),
                       nt.float64, arr(4), arr(5), nt.boolean),
        "gradient": (arr(2), arr(2)),
        "losses_and_divergence": (arr(3), arr(2), nt.Array(nt.int64, 1, "C"), *[nt.float64] * 4),
    }


_ready: dict[tuple[str, str], Callable] = {}


def _build(landscape_name: str, kind: str) -> Callable:
    """Load (from numba's cache) or compile one kernel; ``kind`` is an optimizer
    name, ``"gradient"`` or ``"losses_and_divergence"``."""
    with _build_lock:
        found = _ready.get((landscape_name, kind))
        if found is None:
            module = _module(landscape_name)
            is_rule = kind in optimizers.OPTIMIZERS
            dispatcher = getattr(module, f"trajectory_{kind}" if is_rule else kind)
            dispatcher.compile(_signatures()["trajectory" if is_rule else kind])
            found = _ready[(landscape_name, kind)] = dispatcher
        return found


# -- Compiling in the background -----------------------------------------------------

_queue: queue.Queue[tuple[str, str]] = queue.Queue()
_queued: set[tuple[str, str]] = set()
_worker: threading.Thread | None = None


def _work() -> None:
    while True:
        job = _queue.get()
        try:
            _build(*job)
        except Exception as exc:  # noqa: BLE001  (a failed compile leaves the NumPy loop)
            print(f"visualizer: could not compile {job}: {exc!r}", file=sys.stderr)
        finally:
            _queue.task_done()


def _submit(job: tuple[str, str]) -> None:
    global _worker
    with _queue_lock:
        if job in _queued or job in _ready:
            return
        _queued.add(job)
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_work, name="visualizer-compile", daemon=True)
            _worker.start()
    _queue.put(job)


def _numba_lock() -> Any:
    """numba's own compiler lock, if numba is loaded (else None)."""
    module = sys.modules.get("numba.core.compiler_lock")
    return getattr(module, "global_compiler_lock", None)


_forking = False


@contextlib.contextmanager
def no_compile() -> Iterator[None]:
    """Hold every compile back while the block runs, after waiting for the one in
    progress (one to four seconds, once per kernel and machine): fork a job's
    process in here. A child forked while a compile held its locks would inherit
    them held by a thread it does not have, and hang on its first kernel (a
    background job started within seconds of a worker's start did). Not an
    ``os.register_at_fork`` hook: those run while other modules' locks (logging's)
    are held, which the compile may need to finish."""
    global _forking
    _build_lock.acquire()
    lock = _numba_lock()
    if lock is not None:
        lock.acquire()
    _forking = True
    try:
        yield
    finally:
        if _forking:  # (a child that called release_after_fork has freed them)
            _forking = False
            if lock is not None:
                lock.release()
            _build_lock.release()


def release_after_fork() -> None:
    """In a child forked inside :func:`no_compile` that never leaves the block (a
    job's process runs its job, then ends, within the fork's call): free the locks
    this thread holds, so the job can compile or load a kernel (it waited on itself
    before, on the first kernel a fresh worker had not loaded). No-op elsewhere."""
    global _forking
    if not _forking:
        return
    _forking = False
    lock = _numba_lock()
    if lock is not None:
        lock.release()
    _build_lock.release()


def _after_fork() -> None:
    """A forked child has no compile thread: start afresh. Forked in
    :func:`no_compile`, this thread holds the locks and the block's end frees them
    (in the child too); forked elsewhere, a lock held by a thread the child does not
    have is replaced by a free one."""
    global _worker, _queue, _build_lock
    if not _forking:
        _build_lock = threading.Lock()
    _worker = None
    _queue = queue.Queue()
    _queued.clear()


os.register_at_fork(after_in_child=_after_fork)


def kernel(landscape: Any, kind: str, wait: bool = False) -> Callable | None:
    """The compiled kernel, or None while it is not ready (then it is queued for
    the background thread). ``wait=True`` builds it now. None for a landscape
    that is not :func:`compilable`."""
    if not compilable(landscape):
        return None
    found = _ready.get((landscape.name, kind))
    if found is not None or wait:
        return found or _build(landscape.name, kind)
    _submit((landscape.name, kind))
    return None


def warm_up(landscape_names: Iterable[str], kinds: Iterable[str]) -> None:
    """Queue these kernels for the background thread (a server calls this at start)."""
    import landscapes

    for name in landscape_names:
        if compilable(landscapes.get(name)):
            for kind in kinds:
                _submit((name, kind))


def wait_until_ready(timeout: float | None = None) -> bool:
    """Block until the background queue is empty (tests and benchmarks)."""
    done = threading.Event()
    threading.Thread(target=lambda: (_queue.join(), done.set()), daemon=True).start()
    return done.wait(timeout)


# -- What the engine and the tests call -------------------------------------------------

def trajectory(kern: Callable, optimizer: optimizers.Optimizer, rows: slice, pts: Array,
               grads: Array, lrs: Array, noise: Array, scale: float, rec: Array | None) -> None:
    """Run one group of runs, ``rows`` of the engine's arrays, through all its
    steps with its kernel (from :func:`kernel`): fill ``pts[1:, rows]``,
    ``grads[:, rows]`` and (if given) ``rec``, ``(F, T, R, K, 2)``.

    ``pts``: ``(T + 1, S, K, 2)``, ``grads``: ``(T, S, K, 2)``, ``lrs``: ``(T, S)``.
    """
    n_fields = len(optimizer.fields)
    shape = (rows.stop - rows.start, *pts.shape[2:])
    state = np.zeros((n_fields, *shape))
    record = rec is not None
    if rec is None:
        rec = np.empty((n_fields, 0, *shape))
    h = np.array(optimizer.h, dtype=float)
    kern(pts, grads, lrs, rows.start, rows.stop, h, float(optimizer.extra0), noise, float(scale),
         state, rec, record)


def gradient(landscape: Any, p: Array, out: Array) -> None:
    """``out[...] = landscape.grad(p)`` for C-contiguous ``(..., 2)`` arrays."""
    kernel(landscape, "gradient", wait=True)(p.reshape(-1, 2), out.reshape(-1, 2))


def losses_and_divergence(landscape: Any, pts: Array,
                          kern: Callable | None = None) -> tuple[Array, Array]:
    """As ``engine.loop._losses_and_divergence``, in one compiled pass."""
    (x0, x1), (y0, y1) = landscape.bound
    losses = np.empty(pts.shape[:-1])
    first = np.full(pts.shape[1:-1], -1, dtype=np.int64)
    n = len(pts)
    kern = kern or kernel(landscape, "losses_and_divergence", wait=True)
    kern(pts.reshape(n, -1, 2), losses.reshape(n, -1), first.reshape(-1),
         float(x0), float(x1), float(y0), float(y1))
    return losses, first
