"""Downloads too long to write within a request: a background job writes the
file, gzipped as it goes, into the class's results cache (:mod:`.cache`: bounded
in bytes, on disk or in Redis, so any app server can send it), and the page then
fetches ``GET /download/KIND.csv?key=...``, which computes nothing: a file that
is not kept (or never was) is a 404.
"""

from __future__ import annotations

import urllib.parse
import zlib
from collections.abc import Iterable
from typing import Any

from visualizer.server import cache

NAMESPACE = "csv"
"""The cache's namespace for these files: ``(filename, gzipped bytes)`` by
``(kind, key)``: the page or view they come from, and its arguments' canonical text."""
MAX_KEY = 4000


def url(kind: str, key: str) -> str:
    """Where the page fetches a file a job wrote (relative: the app may live under a prefix)."""
    return f"download/{kind}.csv?key={urllib.parse.quote(key, safe='')}"


def gzipped(chunks: Iterable[str]) -> bytes:
    """The text of ``chunks`` (UTF-8), gzipped as it comes: the whole text is never
    in memory at once, only its compressed form."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: the gzip format
    parts = [packer.compress(chunk.encode()) for chunk in chunks]
    parts.append(packer.flush())
    return b"".join(parts)


def keep(kind: str, key: str, filename: str, chunks: Iterable[str]) -> dict:
    """Write ``chunks`` as ``filename`` into the class's cache (once: a file kept
    already is not written again); what the page needs to fetch it
    (``{"url", "filename"}``), or ``{"error"}`` when the cache did not keep it."""
    if not cache.kept(NAMESPACE, (kind, key), lambda: (filename, gzipped(chunks))):
        return {"error": "This file was written, but the class's cache did not keep it (too "
                         "large for its share, or the store was busy): write it with the "
                         "command line (python -m visualizer --help)."}
    return {"url": url(kind, key), "filename": filename}


def api(app: Any) -> None:
    """``GET /download/KIND.csv?key=...``: a file a job wrote, as an attachment
    (gzip-encoded as stored: the browser saves it plain); 404 when it is not kept."""
    from flask import Response, request

    from visualizer.server import refuse

    @app.server.get("/download/<kind>.csv")
    def _download(kind: str):
        key = request.args.get("key", "")
        found = (cache.lookup(NAMESPACE, kind, key)
                 if kind.isalpha() and 0 < len(key) <= MAX_KEY else None)
        if found is None:
            return refuse("no such file here (ask for it again from its page)", 404)
        filename, blob = found
        return Response(blob, mimetype="text/csv", headers={
            "Content-Encoding": "gzip", "Cache-Control": "private, max-age=600",
            "Content-Disposition": f'attachment; filename="{filename}"'})
