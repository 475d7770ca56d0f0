"""The compiled loop: whole trajectories in machine code, cached on disk.

This module writes small Python source files of numba kernels (once; each
name carries a hash of every source it is built from) and imports them:

- one for the optimizers, shared by every landscape: ``few_<optimizer>`` and
  ``many_<optimizer>`` run all steps of a group of runs in one call, with the
  optimizer's coefficients and its rule compiled in (the very functions the
  NumPy loop calls: see :class:`visualizer.engine.optimizers.Optimizer`); for a
  few starts each step is inline, for many it is two vectorized passes (the
  gradient, then the rule), each its own small function: LLVM vectorizes a plain
  one-dimensional loop about five times better than the same loop inlined in
  the trajectory's;
- one per landscape (:class:`landscapes.Landscape`): its gradient as two C
  functions (``gradxy_c`` for one point, ``gradient_c`` for a pass over many),
  which the optimizers' loops call by address (:class:`Trajectory`), and
  ``losses_and_divergence``, which serves the rest.

So a new machine compiles 14 optimizers' loops and each landscape's three small
functions, not every optimizer for every landscape (15 x 14 trajectories before:
about fourteen times the CPU). The arithmetic is the same, operation for operation,
so both loops give the same numbers to the last bit (the tests compare them).

numba compiles with ``error_model="numpy"`` (a division by zero gives inf or
NaN, as in NumPy, instead of raising) and without ``fastmath`` (no
reassociation, no fused multiply-add), and caches what it compiled next to the
generated file (``cache=True`` needs functions in a real file: hence the
files). An optimizer's loops cost about two seconds to compile the first time on
a machine, a landscape's functions under one, and some milliseconds to load in
every later process.

Nobody waits for a compile unless they ask to: :func:`kernel` returns a
kernel only once it is ready and otherwise queues it for a background thread,
and the engine answers with the NumPy loop meanwhile. ``kernel(...,
wait=True)`` compiles (or loads) at once. The files go to ``kernels/`` in the
project's cache folder (:func:`visualizer.server.cache.root`: ``$VISUALIZER_CACHE_DIR``,
else ``~/.cache/optimizer-visualizer``).
"""

from __future__ import annotations

import contextlib
import dataclasses
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
_VERSION = "6"  # of the template below: part of every file's hash


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


# -- Calling a landscape's compiled gradient through its address ------------------------
# An optimizer's kernels are compiled once, not once per landscape: they take the
# landscape's gradient as the address of a C function (a numba ``cfunc`` in the
# landscape's file) and call it through these two intrinsics. The call costs a few
# nanoseconds a step more than an inlined gradient (benchmarks/bench_engine.py) and
# gives the same numbers to the last bit (the arithmetic is the same; nothing is fused).

# gradxy_c(x, y, gy): returns the gradient's x part and writes its y part to gy[0]
GRADXY_C = "float64(float64, float64, CPointer(float64))"
# gradient_c(p, out, n): out[i] = the gradient at p[i] for n points of two numbers
GRADIENT_C = "void(CPointer(float64), CPointer(float64), int64)"


@functools.cache
def _intrinsics() -> dict[str, Callable]:
    from llvmlite import ir
    from numba import types as nt
    from numba.extending import intrinsic

    double = ir.DoubleType()

    @intrinsic
    def call_gradxy(typingctx, address, x, y):
        """The gradient at (x, y) from the ``gradxy_c`` at ``address``."""
        def codegen(context, builder, signature, args):
            fn_type = ir.FunctionType(double, [double, double, double.as_pointer()])
            fn = builder.inttoptr(args[0], fn_type.as_pointer())
            with builder.goto_entry_block():
                gy = builder.alloca(double)
            gx = builder.call(fn, [args[1], args[2], gy])
            return context.make_tuple(builder, signature.return_type, (gx, builder.load(gy)))
        return nt.UniTuple(nt.float64, 2)(nt.int64, nt.float64, nt.float64), codegen

    @intrinsic
    def call_gradient(typingctx, address, p, out):
        """``out[i]`` = the gradient at ``p[i]``, ``p`` and ``out`` C-contiguous
        ``(N, 2)`` arrays, by the ``gradient_c`` at ``address``."""
        def codegen(context, builder, signature, args):
            fn_type = ir.FunctionType(ir.VoidType(), [double.as_pointer(), double.as_pointer(),
                                                      ir.IntType(64)])
            fn = builder.inttoptr(args[0], fn_type.as_pointer())
            p_arr = context.make_array(signature.args[1])(context, builder, args[1])
            out_arr = context.make_array(signature.args[2])(context, builder, args[2])
            n = builder.extract_value(p_arr.shape, 0)
            builder.call(fn, [p_arr.data, out_arr.data, n])  # n: intp, 64 bits
            return context.get_dummy_value()
        points = nt.Array(nt.float64, 2, "C")
        return nt.void(nt.int64, points, points), codegen

    return {"call_gradxy": call_gradxy, "call_gradient": call_gradient}


def __getattr__(name: str) -> Callable:
    # call_gradxy and call_gradient, made on first use: importing this module must
    # not import numba (the optimizers' generated file imports them from here)
    if name in ("call_gradxy", "call_gradient"):
        return _intrinsics()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# -- The generated sources -----------------------------------------------------------

_LANDSCAPE = '''\
"""Compiled kernels for the landscape {name!r}: written by visualizer.engine.compiled, do not edit."""
import numba
import numpy as np
from {fmod} import {fname} as _fxy
from {gmod} import {gname} as _gradxy
from visualizer.engine.compiled import GRADIENT_C, GRADXY_C, jit

_JIT = dict(error_model="numpy", cache=True, nogil=True)
fxy = jit(_fxy)
gradxy = jit(_gradxy)


@numba.cfunc(GRADXY_C, **_JIT)
def gradxy_c(x, y, gy):  # what the optimizers' kernels call for a few starts
    gx, gy[0] = gradxy(x, y)
    return gx


@numba.cfunc(GRADIENT_C, **_JIT)
def gradient_c(p, out, n):  # ... and for many (and compiled.gradient): one vectorized pass
    for i in range(n):
        out[2 * i], out[2 * i + 1] = gradxy(p[2 * i], p[2 * i + 1])


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

_OPTIMIZERS = '''\
"""Compiled kernels of the optimizers, for every landscape: written by visualizer.engine.compiled, do not edit."""
import numba
import numpy as np
from visualizer.engine.compiled import call_gradient, call_gradxy, jit

_JIT = dict(error_model="numpy", cache=True, nogil=True)


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
def few_{opt}(gradxy_c, gradient_c, pts, grads, lrs, r0, r1, h, extra0, noise, scale, state,
              rec, record):
    # A few starts: each step inline (no call per step but the gradient's).
    n, pf, gf, sf, qf = flat(pts, grads, state, rec)
    for r in range(r0, r1):
        s = r - r0
        extra = extra0
        for t in range(grads.shape[0]):
            c, extra = coefs_{opt}(t + 1, lrs[t, r], h, extra)
            p, p_next, g = pf[t, r], pf[t + 1, r], gf[t, r]
            for e in range(0, n, 2):
                g[e], g[e + 1] = call_gradxy(gradxy_c, p[e], p[e + 1])
                if scale != 0.0:
                    g[e] = g[e] + scale * noise[t, e // 2, 0]
                    g[e + 1] = g[e + 1] + scale * noise[t, e // 2, 1]
{views}
            for e in range(n):
                {rule_call}
{record}


@numba.njit(**_JIT)
def many_{opt}(gradxy_c, gradient_c, pts, grads, lrs, r0, r1, h, extra0, noise, scale, state,
               rec, record):
    # Many starts: each step in vectorized passes.
    n, pf, gf, sf, qf = flat(pts, grads, state, rec)
    for r in range(r0, r1):
        s = r - r0
        extra = extra0
        for t in range(grads.shape[0]):
            c, extra = coefs_{opt}(t + 1, lrs[t, r], h, extra)
            call_gradient(gradient_c, pts[t, r], grads[t, r])
            if scale != 0.0:
                add_noise(grads[t, r], noise[t], scale)
            step_{opt}(gf[t, r], pf[t, r], pf[t + 1, r],{state_args} c)
{record}
'''

LOOPS = ("few", "many")  # an optimizer's functions in the optimizers' file, by prefix
LANDSCAPE_FUNCTIONS = ("gradxy_c", "gradient_c", "losses_and_divergence")  # a landscape's file's

FEW = 8  # starts up to which a group's steps run inline (few_), else in passes (many_)


def _landscape_source(landscape: Any) -> str:
    fx, gx = landscape.fxy, landscape.gradxy
    return _LANDSCAPE.format(name=landscape.name, fmod=fx.__module__, fname=fx.__name__,
                             gmod=gx.__module__, gname=gx.__name__)


def _optimizers_source() -> str:
    parts = [_OPTIMIZERS]
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


def _sources(landscape: Any | None) -> tuple[str, set[Any]]:
    """A generated file's text and the modules it is built from: a landscape's
    kernels (``landscape``) or the optimizers' (None)."""
    if landscape is not None:
        modules = {sys.modules[landscape.fxy.__module__], sys.modules[landscape.gradxy.__module__],
                   sys.modules["landscapes"]}
        return _landscape_source(landscape), modules
    modules = {sys.modules[f.__module__] for info in optimizers.OPTIMIZERS.values()
               for f in (info.rule, info.coefs)}
    return _optimizers_source(), modules


def _key(source: str, modules: Iterable[Any]) -> str:
    """A hash of everything a file's kernels are built from: the template's output
    and the source files of its modules and of this one. numba's cache checks only
    the generated file, so any edit must change its name."""
    files = {inspect.getsourcefile(m) for m in (*modules, sys.modules[__name__])}
    digest = hashlib.sha256((_VERSION + source).encode())
    for path in sorted(f for f in files if f):
        digest.update(pathlib.Path(path).read_bytes())
    return digest.hexdigest()[:16]


def _file(landscape: Any | None) -> tuple[pathlib.Path, str]:
    """The generated file of a landscape's kernels (or, for None, of the
    optimizers'): where it is (its name carries :func:`_key`) and its text."""
    source, modules = _sources(landscape)
    stem = landscape.name if landscape is not None else "optimizers"
    return cache_dir() / f"{stem}_{_key(source, modules)}.py", source


def file_path(landscape: Any | None) -> pathlib.Path:
    """Where :func:`_file` is."""
    return _file(landscape)[0]


def cache_dir() -> pathlib.Path:
    """The folder of the generated files (created on first use): ``kernels`` in
    the project's cache folder (:func:`visualizer.server.cache.root`)."""
    path = paths.cache_root() / "kernels"
    path.mkdir(exist_ok=True)
    return path


_build_lock = threading.Lock()  # one compile at a time (numba has its own lock too)
_queue_lock = threading.Lock()  # never held during a compile: submitting must not wait


@functools.cache
def _module(landscape_name: str | None) -> types.ModuleType:
    """A landscape's kernels (or, for None, the optimizers'), written if missing and
    imported (which compiles or loads the landscape's two ``cfunc``)."""
    import landscapes

    landscape = landscapes.get(landscape_name) if landscape_name is not None else None
    path, source = _file(landscape)
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
        "trajectory": (nt.int64, nt.int64, arr(4), arr(4), arr(2), nt.int64, nt.int64, arr(1),
                       nt.float64, arr(3), nt.float64, arr(4), arr(5), nt.boolean),
        "losses_and_divergence": (arr(3), arr(2), nt.Array(nt.int64, 1, "C"), *[nt.float64] * 4),
    }


@dataclasses.dataclass(frozen=True)
class Trajectory:
    """One optimizer's compiled trajectory on one landscape: the optimizer's two
    kernels (``few``, ``many``: compiled once for every landscape) and the
    addresses of the landscape's compiled gradient they call."""

    few: Callable
    many: Callable
    gradxy_c: int
    gradient_c: int

    def __call__(self, pts: Array, *args: Any) -> None:
        """Run it: the arguments of ``few_<optimizer>`` after the two addresses;
        the loop for a few starts (``FEW`` or fewer a run) or for many."""
        loop = self.few if pts.shape[2] <= FEW else self.many
        loop(self.gradxy_c, self.gradient_c, pts, *args)


_ready: dict[tuple[str | None, str], Any] = {}


def _build(landscape_name: str | None, kind: str) -> Any:
    """Load (from numba's cache) or compile one kernel; ``kind`` is an optimizer
    name, ``"gradient"`` or ``"losses_and_divergence"``. For an optimizer and
    ``landscape_name`` None: its two loops alone, what every landscape shares."""
    with _build_lock:
        return _build_held(landscape_name, kind)


def _build_held(landscape_name: str | None, kind: str) -> Any:
    found = _ready.get((landscape_name, kind))
    if found is not None:
        return found
    if kind == "gradient":
        found = _module(landscape_name).gradient_c  # a cfunc: compiled when imported
    elif kind not in optimizers.OPTIMIZERS:
        found = getattr(_module(landscape_name), kind)
        found.compile(_signatures()[kind])
    elif landscape_name is None:
        module = _module(None)
        found = tuple(getattr(module, f"{loop}_{kind}") for loop in LOOPS)
        for loop in found:
            loop.compile(_signatures()["trajectory"])
    else:
        few, many = _build_held(None, kind)
        module = _module(landscape_name)
        found = Trajectory(few, many, module.gradxy_c.address, module.gradient_c.address)
    _ready[(landscape_name, kind)] = found
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
    progress (about two seconds at most, once per kernel and machine): fork a job's
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


def optimizer_loops(kind: str) -> tuple[Callable, Callable]:
    """Compile (or load) now an optimizer's two loops, which every landscape's
    kernel of that optimizer shares."""
    return _build(None, kind)


def landscape_functions(landscape: Any) -> None:
    """Compile (or load) now a landscape's own functions (``LANDSCAPE_FUNCTIONS``):
    its gradient's two C functions, and ``losses_and_divergence``."""
    for kind in ("gradient", "losses_and_divergence"):
        kernel(landscape, kind, wait=True)


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
    """``out[...] = landscape.grad(p)`` for C-contiguous ``(..., 2)`` arrays, by the
    landscape's ``gradient_c`` (the pass the optimizers' loops call for many starts)."""
    import ctypes

    double_p = ctypes.POINTER(ctypes.c_double)
    p, out = p.reshape(-1, 2), out.reshape(-1, 2)
    kernel(landscape, "gradient", wait=True).ctypes(p.ctypes.data_as(double_p),
                                                    out.ctypes.data_as(double_p), len(p))


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
