"""Malformed callback requests: a 400-class answer and one log line, never a traceback."""

from __future__ import annotations

import json
import logging
import re

import pytest

import app
from visualizer import pages, shell
from visualizer import server as http
from visualizer.engine import optimizers
from visualizer.ui import ids

GOOD = {  # the step inspector's callback, as the page calls it
    "output": "..inspect-out.children...store-record-job.data..",
    "outputs": [{"id": "inspect-out", "property": "children"},
                {"id": "store-record-job", "property": "data"}],
    "inputs": [{"id": "store-inspect", "property": "data",
                "value": {"query": "?landscape=booth&start=0,0&steps=10&opt=adam:lr=0.1",
                          "epoch": 3}}],
    "state": [{"id": "store-record-job", "property": "data", "value": None}],
    "changedPropIds": ["store-inspect.data"],
}
RUNS_OUTPUTS = [("store-runs", "data"), ("store-query", "data"), ("store-errors", "data"),
                ("input-steps", "error"), ("text-status", "children"), ("store-job", "data")]
RUNS = ".." + "...".join(f"{i}.{p}" for i, p in RUNS_OUTPUTS) + ".."  # Dash's key of the callback


def _runs_body(start, lr="0.01") -> dict:
    """The runs callback's body as the page sends it, with this start and Adam's lr."""
    names = list(optimizers.OPTIMIZERS)  # one row per registered optimizer, in layout order

    def rows(kind, value):
        return [{"id": {"opt": n, "type": kind}, "property": "checked" if kind == "opt-check"
                 else "value", "value": value(n)} for n in names]

    return {
        "output": RUNS,
        "outputs": [{"id": i, "property": p} for i, p in RUNS_OUTPUTS],
        "inputs": [
            {"id": "store-start", "property": "data", "value": start},
            {"id": "input-steps", "property": "value", "value": "100"},
            rows("opt-check", lambda n: n == "adam"),
            rows("opt-lr", lambda n: lr if n == "adam" else "0.001"),
            rows("opt-decay", lambda n: "0"),
            {"id": "store-settings", "property": "data", "value": {}},
            {"id": "input-noise", "property": "value", "value": ""},
            {"id": "input-noise-seed", "property": "value", "value": "0"},
            {"id": "input-noise-runs", "property": "value", "value": "1"},
        ],
        "state": [{"id": "store-errors", "property": "data", "value": {}}],
        "changedPropIds": ["store-start.data"],
    }


def _dumps(body: dict) -> bytes:
    return json.dumps(body).encode()


MALFORMED = {
    "not JSON": b"{",
    "an array": b"[]",
    "null": b"null",
    "no such callback": _dumps({**GOOD, "output": "nope.children"}),
    "missing inputs": _dumps({k: v for k, v in GOOD.items() if k != "inputs"}),
    "inputs of the wrong type": _dumps({**GOOD, "inputs": 3}),
    "an input without an id": _dumps({**GOOD, "inputs": [{"property": "data"}]}),
    "NaN in the JSON": _dumps(GOOD).replace(b'"epoch": 3', b'"epoch": NaN'),
    "Infinity in the JSON": _dumps(_runs_body({"landscape": "himmelblau", "x": 0, "y": 0}))
    .replace(b'"x": 0', b'"x": Infinity'),
    "a learning rate as a number": _dumps(_runs_body({"landscape": "himmelblau", "x": 0, "y": 0},
                                                     lr=0.01)),
    "a start point out of reach": _dumps(_runs_body({"landscape": "himmelblau", "x": 1e308,
                                                     "y": 0})),
    "a start point of the wrong type": _dumps(_runs_body("here")),
    "a huge number for a landscape": _dumps(_runs_body({"landscape": 1e308, "x": 0, "y": 0})),
    "a 10 MB body": b'{"inputs": "' + b"a" * (10 * 1024 * 1024) + b'"}',
}


@pytest.fixture
def client():
    c = app.server.test_client()
    c.get("/")  # Dash registers its callbacks on the first request
    assert RUNS in app.app.callback_map
    return c


def _post(client, data: bytes):
    return client.post("/_dash-update-component", data=data,
                       headers={"Content-Type": "application/json"})


def test_a_good_request_is_answered(client, caplog):
    with caplog.at_level(logging.DEBUG, logger="visualizer.requests"):
        r = _post(client, _dumps(GOOD))
        runs = _post(client, _dumps(_runs_body({"landscape": "himmelblau", "x": 0, "y": 0})))
    assert r.status_code == 200 and "Adam" in r.get_data(as_text=True)
    assert runs.status_code == 200 and '"store-runs"' in runs.get_data(as_text=True)
    assert caplog.records == []


@pytest.mark.parametrize("name", list(MALFORMED))
def test_a_malformed_request_gets_a_4xx_and_one_log_line(client, caplog, capsys, name):
    with caplog.at_level(logging.WARNING):
        r = _post(client, MALFORMED[name])
    assert 400 <= r.status_code < 500, r.get_data(as_text=True)
    assert r.get_json()["error"]
    lines = [rec for rec in caplog.records if rec.levelno >= logging.WARNING]
    assert len(lines) == 1 and lines[0].name == "visualizer.requests"
    assert "\n" not in lines[0].getMessage() and lines[0].exc_info is None
    assert "Traceback" not in capsys.readouterr().err


def test_the_server_keeps_answering_after_bad_requests(client):
    for data in MALFORMED.values():
        _post(client, data)
    assert _post(client, _dumps(GOOD)).status_code == 200
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("path", ["nope/x.v1m1.js",  # a package Dash does not serve
                                  "dash/dash-renderer/build/dash_renderer.min.js.map",  # listed, absent
                                  "dash/dcc/dash_core_components.js.v4m1.map"])
def test_a_script_the_app_has_not_is_a_404_and_one_log_line(client, caplog, capsys, path):
    with caplog.at_level(logging.WARNING):
        r = client.get("/_dash-component-suites/" + path)
    assert r.status_code == 404 and r.get_json() == {"error": "no such file"}
    lines = [rec for rec in caplog.records if rec.levelno >= logging.WARNING]
    assert len(lines) == 1 and lines[0].name == "visualizer.requests" and lines[0].exc_info is None
    assert "Traceback" not in capsys.readouterr().err


def test_the_body_limit_is_generous_for_the_page_and_tight_for_the_rest():
    assert http.MAX_BODY >= 100 * len(_dumps(_runs_body({"landscape": "himmelblau", "x": 0,
                                                         "y": 0})))
    assert http.MAX_BODY < 10 * 1024 * 1024


def test_the_runs_of_a_scene_are_an_http_resource(client):
    from visualizer.pages.race import callbacks

    q = "landscape=booth&start=1,-1&steps=50&opt=adam:lr=0.1&opt=gd:lr=0.01"
    r = client.get("/api/runs?" + q)
    assert r.status_code == 200 and "max-age" in r.headers["Cache-Control"]
    body = r.get_json()
    # the canonical link: rows in the registry's order, every value spelled out
    canonical = "?landscape=booth&start=1,-1&steps=50&opt=gd:lr=0.01,decay=0&opt=adam:lr=0.1,decay=0"
    assert body == json.loads(json.dumps(callbacks.scene_runs(canonical)))
    assert [run["name"] for run in body["runs"]] == ["gd", "adam"] and body["query"] == canonical
    assert client.get("/api/runs?" + q + "&preview=1").get_json() == body


@pytest.mark.parametrize(("query", "status", "needle"), [
    ("landscape=nowhere&opt=adam", 400, "unknown landscape 'nowhere'"),
    ("landscape=booth&start=1e9,0&opt=adam", 400, "Start: must lie within"),
    ("landscape=booth&opt=adam:lr=-1", 400, "Learning rate: must be greater than 0"),
    ("landscape=formula:-5,5,-5,5:" + "sin(x*" * 12 + "y" + ")" * 12 + "&steps=10000"
     + "".join(f"&opt={n}" for n in ["gd", "adam", "rmsprop", "momentum", "nesterov", "lion",
                                     "adamax", "nadam", "radam", "adabelief", "amsgrad"]),
     422, "Too much work for one request"),
])
def test_a_bad_runs_query_gets_its_message(client, query, status, needle):
    r = client.get("/api/runs?" + query)
    assert r.status_code == status and needle in r.get_json()["error"]


def test_a_drag_preview_is_computed_but_not_kept_for_the_class(client):
    """A dragged dot passes hundreds of starts nobody asks for again: their runs are
    answered, equal to the kept ones, but not written to the class cache."""
    from visualizer.pages.race import callbacks, scene

    q = "landscape=booth&start=0.123457,-1.5&steps=40&opt=adam:lr=0.05"
    canonical = scene.runs_of("?" + q)[4]
    assert not callbacks.cached_runs(canonical)
    preview = client.get("/api/runs?" + q + "&preview=1")
    assert preview.status_code == 200 and not callbacks.cached_runs(canonical)
    kept = client.get("/api/runs?" + q)
    assert callbacks.cached_runs(canonical) and kept.get_json() == preview.get_json()


def test_a_drag_preview_of_a_heavy_scene_is_declined_not_computed(client):
    query = ("landscape=formula:-5,5,-5,5:" + "sin(x*" * 8 + "y" + ")" * 8
             + "&start=-1,1&steps=3000&opt=adam:lr=0.01&opt=gd:lr=0.01")
    r = client.get("/api/runs?" + query + "&preview=1")
    assert r.status_code == 409 and "the runs come on the drop" in r.get_json()["error"]
    assert client.get("/api/runs?" + query).status_code == 200  # not a preview: computed
    assert client.get("/api/runs?" + query + "&preview=1").status_code == 200  # now cached


# -- Compression ------------------------------------------------------------------------------
CHROMIUM_ENCODINGS = "gzip, deflate, br, zstd"  # what Chromium sends, on loopback too


def test_answers_are_compressed_as_the_client_takes_them(client):
    """Brotli for a browser, gzip for a client that takes only gzip, plain for one
    that takes neither: each decodes to the same bytes."""
    import gzip

    import brotli

    from visualizer.server import compress

    query = "/api/runs?landscape=booth&start=0.3,0.4&steps=300&opt=adam&opt=gd"
    plain = client.get(query, headers={"Accept-Encoding": "identity"})
    assert plain.headers.get("Content-Encoding") is None and len(plain.data) > compress.MIN_SIZE
    br = client.get(query, headers={"Accept-Encoding": CHROMIUM_ENCODINGS})
    gz = client.get(query, headers={"Accept-Encoding": "gzip"})
    refused = client.get(query, headers={"Accept-Encoding": "br;q=0, gzip"})
    assert br.headers["Content-Encoding"] == "br" and brotli.decompress(br.data) == plain.data
    assert gz.headers["Content-Encoding"] == "gzip" and gzip.decompress(gz.data) == plain.data
    assert refused.headers["Content-Encoding"] == "gzip"
    assert all("Accept-Encoding" in r.headers["Vary"] for r in (plain, br, gz))
    assert len(br.data) < 0.8 * len(plain.data)
    assert compress.choose("") is None and compress.choose("deflate") is None
    assert compress.choose("*") == "br" and compress.choose("gzip;q=0.5, br;q=0") == "gzip"


def test_an_answer_many_students_get_is_compressed_once(client, monkeypatch):
    """A landscape's map is the same bytes for every student: compressed (well)
    on its second coming, then taken from the memo; an answer seen once (a new
    start's runs) is compressed fast and not kept."""
    import brotli

    from visualizer.server import compress

    calls = []
    monkeypatch.setattr(compress, "MEMO", compress.Memo())
    monkeypatch.setattr(compress, "encode", lambda data, enc, level, _real=compress.encode:
                        calls.append((len(data), level)) or _real(data, enc, level))
    def post(body: dict):
        return client.post("/_dash-update-component", data=_dumps(body), headers={
            "Content-Type": "application/json", "Accept-Encoding": CHROMIUM_ENCODINGS})

    answers = [post(_runs_body({"landscape": "booth", "x": 0.5, "y": -0.5})) for _ in range(5)]
    for r in answers:
        assert r.status_code == 200 and r.headers["Content-Encoding"] == "br"
    assert len({brotli.decompress(r.data) for r in answers}) == 1
    assert [level for _, level in calls] == [compress.FAST["br"], compress.GOOD["br"]]
    assert compress.MEMO.hits == 3 and compress.MEMO.size == len(answers[-1].data)
    for i in range(3):  # new starts: each compressed once, fast, none kept
        post(_runs_body({"landscape": "booth", "x": 0.1 * i, "y": 0.2}))
    assert [level for _, level in calls[2:]] == [compress.FAST["br"]] * 3
    assert len(compress.MEMO._entries) == 1


def test_the_compression_memo_is_bounded_in_bytes():
    from visualizer.server import compress

    memo = compress.Memo(budget=64 * 1024, seen=8)
    rng = __import__("random").Random(0)
    blobs = [bytes(rng.getrandbits(8) for _ in range(10_000)) for _ in range(20)]
    for blob in blobs:  # each twice: kept, until the budget pushes the oldest out
        memo.compressed(blob, "gzip")
        memo.compressed(blob, "gzip")
    assert memo.size <= 64 * 1024 and 0 < len(memo._entries) < 20
    assert len(memo._seen) <= 8
    big = bytes(rng.getrandbits(8) for _ in range(20_000))  # over a quarter of the budget
    memo.compressed(big, "gzip")
    memo.compressed(big, "gzip")
    assert ("gzip", __import__("hashlib").blake2b(big, digest_size=20).digest()) not in memo._entries


def _id_list(layout_json: str) -> list[str]:
    """Every string id in a layout's JSON, as often as it is given."""
    return re.findall(r'"id": ?"([^"]+)"', layout_json)


def _ids(layout_json: str) -> set[str]:
    return set(_id_list(layout_json))


def _every_body() -> str:
    """The full layout (every page's body) as JSON."""
    return json.dumps(shell.build(every_body=True).to_plotly_json(),
                      default=lambda o: o.to_plotly_json())


def test_the_first_load_holds_one_pages_body_and_each_other_comes_when_first_shown(client):
    """The layout the browser loads has the race's body and every other page's empty
    container; each other page's body (every id the full layout has for it) is the
    answer of its mount callback (what links.shownPages asks the first time the page
    is shown), which also says the page is shown."""
    loaded = _ids(client.get("/_dash-layout").get_data(as_text=True))
    full = _ids(_every_body())
    assert {p.container for p in pages.all_pages()} <= loaded and "graph-overlay" in loaded
    assert [p.key for p in pages.later()] == pages.keys()[1:]
    sent: set[str] = set()
    for page in pages.later():
        mount = {"id": ids.page_mount(page.key), "property": "data"}
        (key,) = [k for k, c in app.app.callback_map.items() if c["inputs"] == [mount]]
        answers = []
        for value in (page.key, {"not": "a key" * 1000}):  # what it carries changes nothing
            r = _post(client, _dumps({
                "output": key, "inputs": [{**mount, "value": value}], "state": [],
                "outputs": [{"id": page.container, "property": "children"},
                            {"id": page.shown, "property": "data"}],
                "changedPropIds": [f"{ids.page_mount(page.key)}.data"]}))
            assert r.status_code == 200, page.key
            answers.append(r.get_json()["response"])
        assert answers[0] == answers[1]
        assert answers[0][page.shown]["data"] == page.key
        body = _ids(json.dumps(answers[0][page.container]["children"]))
        assert body and not body & loaded, page.key  # none of it was in the first load
        sent |= body
    assert sent == full - loaded


def _callback_ids(key: str, spec: dict) -> set[str]:
    """The element ids a registered callback names (its outputs from its key, then its
    inputs and states), but for pattern-matching ones (those may match none)."""
    outputs = key[2:-2].split("...") if key.startswith("..") else [key]
    names = [o.split("@")[0].rsplit(".", 1)[0] for o in outputs]
    names += [d["id"] for d in spec["inputs"] + spec["state"]]
    return {n for n in names if isinstance(n, str) and not n.startswith("{")}


def test_every_callback_names_only_elements_of_the_pages(client):
    """Every id a callback names is in the full layout (every page's body), and no id
    is there twice: the checks Dash makes with its dev tools, made here, since the
    page a student loads carries neither the other pages' bodies nor the layout the
    check needs."""
    every = _id_list(_every_body())
    named = set().union(*(_callback_ids(k, c) for k, c in app.app.callback_map.items()))
    assert len(named) > 250 and named - set(every) == set()
    assert len(every) == len(set(every))  # and no id is given twice
    assert "validation_layout" not in client.get("/").get_data(as_text=True)
