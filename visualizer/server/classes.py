"""Class mode: a teacher's scene that the students' pages follow, their guesses of
where a run will end, and everyone's start.

A teacher starts a class (``POST /class``) and gets a short code for the students
and a secret that only the teacher's page holds (in the teacher's link after
``#``, so it is never sent in a URL nor kept in a log). The teacher's page sends
its scene (the page's link) and its player (playing or not, the epoch, the speed)
as they change; each student's page asks for the class every
:data:`POLL_MS` milliseconds with ``If-None-Match``, and is answered 304 until
the teacher changes something. Nothing holds a connection open, so it works on
gunicorn's sync workers, and across machines through Redis.

Routes (JSON in and out; a refusal is a 4xx with ``{"error": "..."}``):

- ``POST /class`` starts a class: ``{"code", "secret", "expires_in"}``.
- ``GET /class/CODE``: what a student's page follows (:func:`public`), with an ETag.
- ``POST /class/CODE/join`` ``{"sid"}``, ``/guess`` ``{"sid", "question", "x", "y"}``,
  ``/start`` ``{"sid", "round", "x", "y"}``: a student's own id (random, made by
  the page), a guess of where the question's run ends, a start for everyone's start
  (its run is computed once, by the race's :meth:`Race.run_start`, to colour it by
  where it ends).
- The teacher's, with the header ``X-Class-Secret``: ``POST /class/CODE/scene``
  ``{"query", "play"}``, ``/ask`` ``{"query"}`` (where will this run end?),
  ``/starts`` ``{"query"}`` (everyone's start), ``/close`` ``{"what": "question" |
  "starts"}``, ``GET /class/CODE/board`` (the guesses and the starts) and
  ``DELETE /class/CODE`` (the class ends).

Bounds: at most :func:`max_classes` classes at once (and :data:`PER_CLIENT` per
address: a newer one ends its oldest), each lives :func:`class_hours` hours; a
class holds at most :data:`MAX_STUDENTS` students' joins, and as many guesses of its
current question and starts of its current round (one each per student id, a later
one replaces it; a new question or round drops the last one's), a link of at most
:data:`MAX_QUERY` characters; each address may send each worker
:data:`WRITES_PER_SECOND` writes a second, and :data:`RUNS_PER_SECOND` starts (a
round runs :data:`RUNS_PER_ROUND` at most). What is
stored is JSON (nothing read back can run code), in a store that never evicts a
live class to make room: the cache folder's ``classes`` (diskcache, no eviction,
each entry expiring with its class), or Redis under ``REDIS_URL`` (see
:class:`RedisStore`).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import logging
import math
import os
import pathlib
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from flask import Flask, Response, jsonify, request

from visualizer import paths

log = logging.getLogger("visualizer.classes")

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""A class's code is read out loud and typed: no 0/O or 1/I."""
CODE_LENGTH = 6
MAX_STUDENTS = 200
"""A class's joins, and its guesses per question and starts per round, at most."""
MAX_QUERY = 4000
"""The longest link a teacher may send (the app's own are a few hundred characters)."""
PER_CLIENT = 3
"""Classes one address may hold at once: a newer one ends its oldest."""
WRITES_PER_SECOND = 5
"""A client's writes (joins, guesses, starts; a teacher's changes: 4x this) a second, per worker."""
RUNS_PER_SECOND = 1
"""A client's starts a second, per worker: each is a run (up to the race's light scene's
0.1 s), and a student sends one a round."""
RUNS_PER_ROUND = 3 * MAX_STUDENTS
"""Runs one round of everyone's start makes at most (a student may send again)."""
POLL_MS = 700
"""How often a student's page asks for the class (the browser's own setting, said here
so the server and the benchmark agree)."""
SID = re.compile(r"^[0-9a-f]{16,32}$")


def _number(variable: str, default: float) -> float:
    try:
        value = float(os.environ.get(variable, str(default)))
    except ValueError:
        return default
    return value if math.isfinite(value) and value > 0 else default


def max_classes() -> int:
    """Classes at once on this server (``VISUALIZER_MAX_CLASSES``, default 30)."""
    return int(_number("VISUALIZER_MAX_CLASSES", 30))


def class_hours() -> float:
    """A class's life in hours (``VISUALIZER_CLASS_HOURS``, default 4)."""
    return min(_number("VISUALIZER_CLASS_HOURS", 4.0), 48.0)


class Refused(ValueError):
    """A class request that is not answered; ``status`` is its HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


# -- The store ------------------------------------------------------------------------------
class DiskStore:
    """Classes in a diskcache folder of their own: JSON text, each key expiring with
    its class, nothing evicted for room (the class count bounds the size)."""

    def __init__(self, folder: str) -> None:
        from visualizer.server import disk

        self.cache = disk.Cache(folder, eviction_policy="none", size_limit=2**30, timeout=5)

    def read(self, key: str) -> Any:
        text = self.cache.get(key)
        return None if text is None else json.loads(text)

    def change(self, key: str, fn: Callable[[Any], Any], expire: float | None) -> Any:
        """``fn(value or None) -> (new value or None to delete, answer)``, atomically."""
        with self.cache.transact():
            text = self.cache.get(key)
            new, answer = fn(None if text is None else json.loads(text))
            if new is None:
                self.cache.delete(key)
            else:
                self.cache.set(key, json.dumps(new, separators=(",", ":")), expire=expire)
            return answer

    def add(self, key: str, field: str, value: Any, limit: int, expire: float) -> bool:
        """``value`` under ``field`` of the map at ``key``, unless it has ``limit`` others."""
        def put(found: Any) -> tuple[Any, bool]:
            found = found or {}
            if field not in found and len(found) >= limit:
                return found, False
            found[field] = value
            return found, True

        return self.change(key, put, expire)

    def count(self, key: str, limit: int, expire: float) -> bool:
        """One more at ``key``, unless there have been ``limit``: whether it was counted."""
        def one(n: Any) -> tuple[Any, bool]:
            n = n or 0
            return (n + 1, True) if n < limit else (n, False)

        return self.change(key, one, expire)

    def drop(self, *keys: str) -> None:
        for key in keys:
            self.cache.delete(key)


class RedisStore:
    """The same calls on Redis (``REDIS_URL``): every key under :data:`PREFIX`; a
    change is a WATCH/MULTI transaction and a bounded add one script, so workers on
    several machines never lose one another's writes. The keys have no Redis expiry:
    with the documented ``maxmemory-policy volatile-lru`` Redis may evict the
    results cache's keys (each has one) but never a live class's; a class's keys go
    when it ends, or at the next class made after it expired (:func:`create`)."""

    PREFIX = "optimizer-visualizer:class:"
    ADD = """
    if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 or redis.call('HLEN', KEYS[1]) < tonumber(ARGV[3]) then
      redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
      return 1
    end
    return 0"""
    COUNT = """
    local n = tonumber(redis.call('GET', KEYS[1]) or '0')
    if n < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], n + 1) return 1 end
    return 0"""

    def __init__(self, url: str) -> None:
        import redis

        self.redis = redis
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._add = self.client.register_script(self.ADD)
        self._count = self.client.register_script(self.COUNT)

    def read(self, key: str) -> Any:
        k = self.PREFIX + key
        if ":" in key:  # a map (a class's joins, guesses or starts)
            return {f.decode(): json.loads(v) for f, v in self.client.hgetall(k).items()} or None
        text = self.client.get(k)
        return None if text is None else json.loads(text)

    def change(self, key: str, fn: Callable[[Any], Any], expire: float | None) -> Any:
        k = self.PREFIX + key
        while True:
            with self.client.pipeline() as pipe:
                try:
                    pipe.watch(k)
                    text = pipe.get(k)
                    new, answer = fn(None if text is None else json.loads(text))
                    pipe.multi()
                    if new is None:
                        pipe.delete(k)
                    else:
                        pipe.set(k, json.dumps(new, separators=(",", ":")))
                    pipe.execute()
                    return answer
                except self.redis.WatchError:
                    continue

    def add(self, key: str, field: str, value: Any, limit: int, expire: float) -> bool:
        """As :meth:`DiskStore.add` (``expire`` is the disk's: these keys have none)."""
        return bool(self._add(keys=[self.PREFIX + key], args=[field, json.dumps(value), limit]))

    def count(self, key: str, limit: int, expire: float) -> bool:
        """As :meth:`DiskStore.count`."""
        return bool(self._count(keys=[self.PREFIX + key], args=[limit]))

    def drop(self, *keys: str) -> None:
        self.client.delete(*(self.PREFIX + k for k in keys))


_folder: pathlib.Path | None = None


def use_folder(folder: pathlib.Path | None) -> None:
    """Keep the classes in ``folder`` from now on (None: the default; tests)."""
    global _folder
    _folder = folder


def store() -> DiskStore | RedisStore:
    """This process's handle on the classes' store (opened again after a fork):
    Redis with ``REDIS_URL`` set, else the cache folder's ``classes``."""
    return _store(os.getpid(), os.environ.get("REDIS_URL") or "", str(_folder or ""))


@functools.cache
def _store(pid: int, url: str, folder: str) -> DiskStore | RedisStore:
    if url and not folder:
        return RedisStore(url)
    path = pathlib.Path(folder) if folder else paths.cache_root() / "classes"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return DiskStore(str(paths.check_private(path)))


# -- What a class is --------------------------------------------------------------------------
INDEX = "index"
"""The live classes: ``{code: {"expires": t, "client": address}}``."""


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def create(client: str, now: float | None = None) -> dict:
    """A new class for the teacher at ``client``: its code, its secret and its life."""
    now = time.time() if now is None else now
    life = class_hours() * 3600
    secret = secrets.token_urlsafe(24)
    code = _new_code()

    def register(index: Any) -> tuple[Any, tuple[str | None, list[str]]]:
        index = index or {}
        live = {c: v for c, v in index.items() if v["expires"] > now}
        own = sorted((v["expires"], c) for c, v in live.items() if v["client"] == client)
        ended = [c for _, c in own[:max(0, len(own) - PER_CLIENT + 1)]]  # its oldest give way
        for c in ended:
            del live[c]
        ended += [c for c, v in index.items() if v["expires"] <= now]  # expired: their keys go now
        if len(live) >= max_classes():
            return index, (f"this server already holds {len(live)} classes, its most: "
                           "try again when one ends", [])
        if code in live:
            return index, ("try again", [])
        live[code] = {"expires": now + life, "client": client}
        return live, (None, ended)

    s = store()
    problem, ended = s.change(INDEX, register, None)
    if problem:
        raise Refused(problem, 503)
    for c in ended:
        _drop_keys(s, c)
    doc = {"code": code, "secret": _digest(secret), "expires": now + life, "version": 1,
           "scene": None, "play": None, "question": None, "starts": None}
    s.change(code, lambda _: (doc, None), life)
    return {"code": code, "secret": secret, "expires_in": round(life)}


def _doc(code: str) -> dict:
    if not isinstance(code, str) or len(code) != CODE_LENGTH or any(
            c not in CODE_ALPHABET for c in code):
        raise Refused("a class code is 6 letters and digits", 404)
    doc = store().read(code)
    if doc is None or doc["expires"] <= time.time():
        raise Refused(f"no class {code} (it may have ended)", 404)
    return doc


def public(doc: dict) -> dict:
    """What every page of the class may see (not the secret)."""
    out = {k: doc[k] for k in ("code", "version", "scene", "play", "question", "starts")}
    out["expires_in"] = max(0, round(doc["expires"] - time.time()))
    out["now"] = time.time()  # the page plays on from play["at"] by its own clock's difference
    return out


def read(code: str) -> dict:
    """The class as its students see it (:func:`public`); :class:`Refused` if there is none."""
    return public(_doc(code))


def is_teacher(code: str, secret: object) -> bool:
    doc = _doc(code)
    return isinstance(secret, str) and hmac.compare_digest(doc["secret"], _digest(secret))


def _left(doc: dict) -> float:
    return max(1.0, doc["expires"] - time.time())


def change(code: str, secret: object, edit: Callable[[dict], None]) -> dict:
    """The teacher's change ``edit(doc)`` (in place), with the class's version one up."""
    if not is_teacher(code, secret):
        raise Refused("only the class's teacher can do that", 403)

    def apply(doc: Any) -> tuple[Any, Any]:
        if doc is None:
            raise Refused(f"no class {code} (it may have ended)", 404)
        edit(doc)
        doc["version"] += 1
        return doc, public(doc)

    doc = _doc(code)
    return store().change(code, apply, _left(doc))


def end(code: str, secret: object) -> None:
    """The class ends: its keys go, and its place in the index."""
    if not is_teacher(code, secret):
        raise Refused("only the class's teacher can do that", 403)
    s = store()
    _drop_keys(s, code)
    s.change(INDEX, lambda index: ({c: v for c, v in (index or {}).items() if c != code}, None),
             None)


def _drop_keys(s: DiskStore | RedisStore, code: str) -> None:
    """A class's keys: its state, its joins, its question's guesses, its round's starts."""
    doc = s.read(code)
    keys = [code, f"{code}:joined"]
    if doc and doc["question"]:
        keys.append(f"{code}:guesses:{doc['question']['id']}")
    if doc and doc["starts"]:
        keys += [f"{code}:starts:{doc['starts']['id']}", f"{code}:runs:{doc['starts']['id']}"]
    s.drop(*keys)


def check_query(query: object) -> str:
    if not isinstance(query, str) or not query.startswith("?") or len(query) > MAX_QUERY:
        raise Refused(f"a scene is a link's query, '?...', of at most {MAX_QUERY} characters")
    return query


def check_play(play: object) -> dict | None:
    """The teacher's player: ``{"playing": bool, "epoch": int, "speed": float,
    "elapsed": seconds}`` (playing since ``epoch``, ``elapsed`` seconds ago, at most
    5), as stored: ``elapsed`` becomes ``at``, the server's time it started."""
    if play is None:
        return None
    try:
        epoch, speed = int(play["epoch"]), float(play["speed"])
        elapsed = float(play.get("elapsed", 0))
        playing = play["playing"]
    except (TypeError, KeyError, ValueError, OverflowError, AttributeError):
        raise Refused("play is {playing, epoch, speed, elapsed}") from None
    if (not isinstance(playing, bool) or not 0 <= epoch <= 10**6 or not 0 < speed <= 1000
            or not 0 <= elapsed <= 5):
        raise Refused("play is {playing: true|false, epoch: 0..10^6, speed: (0, 1000], "
                      "elapsed: 0..5 seconds}")
    return {"playing": playing, "epoch": epoch, "speed": speed, "at": time.time() - elapsed}


class Race(Protocol):
    """What class mode asks of the race (``visualizer.pages.race.classroom``, handed to
    :func:`routes`: this layer knows no page)."""

    def subject(self, query: str) -> str:
        """The title of the run a question about this scene is about (its first ticked
        run); :class:`Refused` if it has none, or it is too heavy to run once per student."""

    def run_start(self, query: str, point: tuple[float, float]) -> dict:
        """That run from ``point``: ``{"outcome", "where", "end", "color"}`` (where it
        ended: its name, in words, the point, the colour it is drawn in);
        :class:`Refused` if it cannot be run now."""


_race: Race | None = None


def race() -> Race:
    if _race is None:
        raise Refused("class mode is not set up on this server", 503)
    return _race


def _new_round(code: str, secret: object, query: object, field: str, title: str) -> dict:
    """Opens the class's next round of `field` ("question" or "starts") about the race's
    first ticked run in `query`; `title` is its sentence, with {run} for that run."""
    query = check_query(query)
    run = race().subject(query)

    def edit(doc: dict) -> None:
        last = doc[field]["id"] if doc[field] else 0
        doc[field] = {"id": last + 1, "open": True, "query": query,
                      "title": title.format(run=run)}

    return change(code, secret, edit)


def ask(code: str, secret: object, query: object) -> dict:
    """"Where will this run end?": a new question about the race's first ticked run
    (its guesses start empty)."""
    doc = _new_round(code, secret, query, "question", "Where will {run} end?")
    store().drop(f"{code}:guesses:{doc['question']['id'] - 1}")  # the last question's
    return doc


def open_starts(code: str, secret: object, query: object) -> dict:
    """Everyone's start: a new round in which each student's start is run with the
    race's first ticked run and coloured by where it ends."""
    doc = _new_round(code, secret, query, "starts", "Where does {run} end from your start?")
    last = doc["starts"]["id"] - 1
    store().drop(f"{code}:starts:{last}", f"{code}:runs:{last}")  # the last round's
    return doc


def close(code: str, secret: object, what: object) -> dict:
    if what not in ("question", "starts"):
        raise Refused("close what: 'question' or 'starts'")

    def edit(doc: dict) -> None:
        if doc[what]:
            doc[what]["open"] = False

    return change(code, secret, edit)


def set_scene(code: str, secret: object, query: object, play: object) -> dict:
    """The teacher's scene and player; playing closes an open question (the answer
    is shown)."""
    query = check_query(query)
    play = check_play(play)

    def edit(doc: dict) -> None:
        doc["scene"] = query
        doc["play"] = play
        if play and play["playing"] and doc["question"] and doc["question"]["open"]:
            doc["question"]["open"] = False

    return change(code, secret, edit)


def _point(x: object, y: object) -> tuple[float, float]:
    try:
        p = (float(x), float(y))  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise Refused("x and y must be numbers") from None
    if not all(math.isfinite(v) and abs(v) < 1e6 for v in p):
        raise Refused("x and y must be finite numbers")
    return p


def _sid(sid: object) -> str:
    if not isinstance(sid, str) or not SID.match(sid):
        raise Refused("sid: 16 to 32 lowercase hex digits (the page makes one)")
    return sid


def join(code: str, sid: object) -> int:
    """A student joined (counted once per id, up to :data:`MAX_STUDENTS`); how many have."""
    doc = _doc(code)
    s = store()
    if not s.add(f"{code}:joined", _sid(sid), 1, MAX_STUDENTS, _left(doc)):
        raise Refused(f"the class is full ({MAX_STUDENTS} students)", 409)
    return len(s.read(f"{code}:joined") or {})


def guess(code: str, sid: object, question: object, x: object, y: object) -> None:
    """A student's guess for the open question (a later one replaces it)."""
    doc = _doc(code)
    q = doc["question"]
    if not q or q["id"] != question or not q["open"]:
        raise Refused("that question is closed", 409)
    p = _point(x, y)
    if not store().add(f"{code}:guesses:{q['id']}", _sid(sid), [round(p[0], 6), round(p[1], 6)],
                       MAX_STUDENTS, _left(doc)):
        raise Refused(f"the question has {MAX_STUDENTS} guesses, its most", 409)


def start(code: str, sid: object, round_: object, x: object, y: object) -> dict:
    """A student's start for the open round, run once here (:meth:`Race.run_start`):
    ``{"outcome", "where", "end", "color"}``."""
    doc = _doc(code)
    r = doc["starts"]
    if not r or r["id"] != round_ or not r["open"]:
        raise Refused("everyone's start is closed", 409)
    sid = _sid(sid)
    p = _point(x, y)
    if not store().count(f"{code}:runs:{r['id']}", RUNS_PER_ROUND, _left(doc)):
        raise Refused(f"everyone's start has run {RUNS_PER_ROUND} starts, its most: "
                      "the teacher may open a new round", 409)
    ran = race().run_start(r["query"], p)
    entry = {"x": round(p[0], 6), "y": round(p[1], 6), **ran}
    if not store().add(f"{code}:starts:{r['id']}", sid, entry, MAX_STUDENTS, _left(doc)):
        raise Refused(f"everyone's start has {MAX_STUDENTS} starts, its most", 409)
    return ran


def board(code: str, secret: object) -> dict:
    """The teacher's board: how many joined, the question's guesses and the round's
    starts (each with where it ended and its colour), and how many starts ended where
    (``outcomes``, by those words)."""
    if not is_teacher(code, secret):
        raise Refused("only the class's teacher can do that", 403)
    doc = _doc(code)
    s = store()
    q, r = doc["question"], doc["starts"]
    guesses = list((s.read(f"{code}:guesses:{q['id']}") or {}).values()) if q else []
    starts = list((s.read(f"{code}:starts:{r['id']}") or {}).values()) if r else []
    counts: dict[str, int] = {}
    for st in starts:
        counts[st["where"]] = counts.get(st["where"], 0) + 1
    return {"version": doc["version"], "joined": len(s.read(f"{code}:joined") or {}),
            "question": q, "guesses": sorted(guesses), "starts_round": r,
            "starts": sorted(starts, key=lambda st: (st["x"], st["y"])), "outcomes": counts}


# -- Requests ----------------------------------------------------------------------------------
class _Rate:
    """At most ``per_second`` events a second per key (a sliding second), in this worker."""

    def __init__(self, per_second: int, keys: int = 10_000) -> None:
        self.per_second, self.keys = per_second, keys
        self.seen: dict[str, deque] = {}
        self.lock = threading.Lock()

    def allow(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self.lock:
            if len(self.seen) > self.keys:  # forget the quiet ones
                self.seen = {k: q for k, q in self.seen.items() if q and now - q[-1] < 1.0}
            q = self.seen.setdefault(key, deque())
            while q and now - q[0] >= 1.0:
                q.popleft()
            if len(q) >= self.per_second:
                return False
            q.append(now)
            return True


_writes = _Rate(WRITES_PER_SECOND)
_teacher = _Rate(4 * WRITES_PER_SECOND)
_runs = _Rate(RUNS_PER_SECOND)


def routes(server: Flask, questions: Race) -> None:
    """Install the class routes on the app's Flask server; ``questions`` answers what
    a question or everyone's start is about (the race's runs)."""
    global _race
    from visualizer.server import jobs, refuse

    _race = questions

    def body() -> dict:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise Refused("the body must be a JSON object")
        return data

    def secret() -> str:
        return request.headers.get("X-Class-Secret", "")

    def answered(*limits: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """The route's answer, a :class:`Refused` as its message; each of ``limits``
        (the name of a :class:`_Rate` here) bounds the client's requests a second: the
        route says which, not the request's headers."""
        def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(fn)
            def wrapped(*args: Any, **kwargs: Any) -> Any:
                if "code" in kwargs:  # a code read out loud is typed in either case
                    kwargs["code"] = kwargs["code"].strip().upper()
                client = jobs.client_id()
                if not all(globals()[limit].allow(client) for limit in limits):
                    return refuse("too many requests: wait a moment", 429)
                try:
                    return fn(*args, **kwargs)
                except Refused as exc:
                    return refuse(str(exc), exc.status)
                except Exception as exc:  # noqa: BLE001  (the store down, locked, full)
                    log.debug("class request failed", exc_info=exc)
                    return refuse(f"the class store is not answering ({type(exc).__name__}): "
                                  "try again in a moment", 503)
            return wrapped
        return wrap

    @server.post("/class")
    @answered("_writes")
    def _create():
        return jsonify(create(jobs.client_id())), 201

    @server.get("/class/<code>")
    @answered()
    def _read(code: str):
        doc = read(code)
        tag = f'"{doc["version"]}"'
        if request.headers.get("If-None-Match") == tag:
            return Response(status=304, headers={"ETag": tag, "Cache-Control": "no-cache"})
        return Response(json.dumps(doc, separators=(",", ":")), mimetype="application/json",
                        headers={"ETag": tag, "Cache-Control": "no-cache"})

    @server.delete("/class/<code>")
    @answered("_teacher")
    def _end(code: str):
        end(code, secret())
        return jsonify(ended=code)

    @server.post("/class/<code>/join")
    @answered("_writes")
    def _join(code: str):
        return jsonify(joined=join(code, body().get("sid")))

    @server.post("/class/<code>/guess")
    @answered("_writes")
    def _guess(code: str):
        b = body()
        guess(code, b.get("sid"), b.get("question"), b.get("x"), b.get("y"))
        return jsonify(ok=True)

    @server.post("/class/<code>/start")
    @answered("_writes", "_runs")
    def _start(code: str):
        b = body()
        return jsonify(start(code, b.get("sid"), b.get("round"), b.get("x"), b.get("y")))

    @server.post("/class/<code>/scene")
    @answered("_teacher")
    def _scene(code: str):
        b = body()
        return jsonify(set_scene(code, secret(), b.get("query"), b.get("play")))

    @server.post("/class/<code>/ask")
    @answered("_teacher")
    def _ask(code: str):
        return jsonify(ask(code, secret(), body().get("query")))

    @server.post("/class/<code>/starts")
    @answered("_teacher")
    def _starts(code: str):
        return jsonify(open_starts(code, secret(), body().get("query")))

    @server.post("/class/<code>/close")
    @answered("_teacher")
    def _close(code: str):
        return jsonify(close(code, secret(), body().get("what")))

    @server.get("/class/<code>/board")
    @answered()
    def _board(code: str):
        return jsonify(board(code, secret()))
