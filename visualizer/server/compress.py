"""Compressed answers; one that many students get is compressed once per worker.

Many of a class's answers are the same bytes for every student: a landscape's
contour map (a 250 x 250 grid, about 500 KB of JSON), a lesson page's default
figures, the JavaScript bundles. Compressing them is most of what they cost the
server (brotli: 17 ms for a map, against 4 ms to build its answer), so each
answer is looked up by a hash of its bytes first (about 1 ms a megabyte): an
answer that comes a second time is compressed well once, kept, and from then on
only hashed. The memo is bounded in bytes (``MEMO_BYTES`` of compressed data per
worker, least recently used first out). An answer seen once (a drop's runs, new
every time) is compressed fast and not kept.

Brotli when the client takes it, else gzip, else as is;
``Vary: Accept-Encoding`` always, strong ETags get the encoding appended, and a
GET is answered 304 when its ``If-None-Match`` still holds.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict

import brotli
from flask import Flask, Response, request

MIN_SIZE = 500
"""Answers smaller than this are sent as they are."""
MEMO_BYTES = 48 * 1024 * 1024
"""At most this many compressed bytes are remembered per worker."""
SEEN = 4096
"""How many answers' hashes are remembered (an answer is kept, compressed, only
when it comes a second time: a drop's runs, new every time, never fill the memo)."""
FAST = {"br": 1, "gzip": 1}
"""Compression levels for an answer seen once (brotli 1: a fifth of level 4's
time, within 3 % of its size on the runs' answers)."""
GOOD = {"br": 4, "gzip": 6}
"""Compression levels for an answer seen again, which is compressed once and kept."""
TYPES = frozenset({"application/json", "text/html", "text/css", "application/javascript",
                   "text/javascript", "image/svg+xml", "text/plain", "text/csv"})


def choose(accept_encoding: str) -> str | None:
    """``"br"``, ``"gzip"`` or ``None``: the best encoding the client accepts
    (a quality of 0 refuses one)."""
    offered: dict[str, float] = {}
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        offered[name.strip()] = quality
    for name in ("br", "gzip"):
        if offered.get(name, offered.get("*", 0.0)) > 0:
            return name
    return None


def encode(data: bytes, encoding: str, level: int) -> bytes:
    if encoding == "br":
        return brotli.compress(data, quality=level)
    return gzip.compress(data, level, mtime=0)


class Memo:
    """Compressed bytes by (encoding, hash of the plain bytes), bounded in bytes;
    an answer is kept from its second coming."""

    def __init__(self, budget: int = MEMO_BYTES, seen: int = SEEN) -> None:
        self.budget, self.size = budget, 0
        self.hits = self.misses = 0
        self._entries: OrderedDict[tuple[str, bytes], bytes] = OrderedDict()
        self._seen: OrderedDict[tuple[str, bytes], None] = OrderedDict()
        self._seen_most = seen
        self._lock = threading.Lock()  # gthread workers share a memo

    def compressed(self, data: bytes, encoding: str) -> bytes:
        key = (encoding, hashlib.blake2b(data, digest_size=20).digest())
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return hit
            self.misses += 1
            again = key in self._seen
            if not again:
                self._seen[key] = None
                if len(self._seen) > self._seen_most:
                    self._seen.popitem(last=False)
        if not again:
            return encode(data, encoding, FAST[encoding])
        packed = encode(data, encoding, GOOD[encoding])
        with self._lock:
            if len(packed) <= self.budget // 4 and key not in self._entries:
                self._seen.pop(key, None)
                self._entries[key] = packed
                self.size += len(packed)
                while self.size > self.budget:
                    _, old = self._entries.popitem(last=False)
                    self.size -= len(old)
        return packed


MEMO = Memo()


def compress(response: Response) -> Response:
    """``response`` compressed for the current request, when that helps."""
    response.vary.add("Accept-Encoding")
    if (response.status_code != 200 or response.is_streamed or response.mimetype not in TYPES
            or "Content-Encoding" in response.headers):
        return response
    encoding = choose(request.headers.get("Accept-Encoding", ""))
    if encoding is None:
        return response
    response.direct_passthrough = False  # a file sent by Flask: read it whole
    data = response.get_data()
    if len(data) < MIN_SIZE:
        return response
    packed = MEMO.compressed(data, encoding)
    response.set_data(packed)
    response.headers["Content-Encoding"] = encoding
    etag, weak = response.get_etag()
    if etag and not weak:
        response.set_etag(f"{etag}:{encoding}")
    if request.method in ("GET", "HEAD"):
        response.make_conditional(request)
    return response


def install(server: Flask) -> None:
    """Compress ``server``'s answers. Flask runs after-request hooks last
    registered first, so a hook registered after this one would see compressed
    bytes: install it after every other."""
    server.after_request(compress)
