"""Class mode's server half (visualizer/server/classes.py): its routes, who may
drive, what a student's page polls, its bounds, and its store on disk (on Redis:
tests/test_redis.py)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import app
import landscapes
from visualizer import engine
from visualizer.engine import many
from visualizer.pages.race import classroom
from visualizer.server import classes

SCENE = "?landscape=himmelblau&start=0,0&steps=300&opt=adam:lr=0.1,decay=0&opt=gd:lr=0.01,decay=0"
"""A scene with two runs: a question is about the first the page lists (gradient descent)."""
ADAM = "?landscape=himmelblau&start=0,0&steps=300&opt=adam:lr=0.1,decay=0"
SID = "0123456789abcdef"


def sid(i: int) -> str:
    return f"{i:016x}"


@pytest.fixture()
def fresh(tmp_path, monkeypatch):
    """A class store of this test's own (the session's is shared by the browser tests)."""
    classes.use_folder(tmp_path / "classes")
    monkeypatch.setattr(classes, "_writes", classes._Rate(10_000))
    monkeypatch.setattr(classes, "_teacher", classes._Rate(10_000))
    monkeypatch.setattr(classes, "_runs", classes._Rate(10_000))
    yield
    classes.use_folder(None)


@pytest.fixture()
def client(fresh):
    return app.server.test_client()


def teach(client, addr: str = "127.0.0.1") -> tuple[str, dict]:
    r = client.post("/class", environ_base={"REMOTE_ADDR": addr})
    assert r.status_code == 201, r.json
    return r.json["code"], {"X-Class-Secret": r.json["secret"]}


def test_a_class_has_a_short_code_to_read_out_and_a_secret_only_its_teacher_holds(client):
    code, secret = teach(client)
    assert len(code) == 6 and set(code) <= set(classes.CODE_ALPHABET)
    assert not set(code) & set("0O1I")
    doc = client.get(f"/class/{code}").json
    assert doc["code"] == code and doc["scene"] is None
    assert "secret" not in doc and secret["X-Class-Secret"] not in str(doc)
    assert client.get(f"/class/{code.lower()}").json["code"] == code  # typed in either case


def test_only_the_teacher_drives_the_class(client):
    code, secret = teach(client)
    play = {"playing": False, "epoch": 0, "speed": 5}
    for headers in ({}, {"X-Class-Secret": "guess"}, {"X-Class-Secret": secret["X-Class-Secret"][:-1]}):
        for path, body in [("scene", {"query": SCENE, "play": play}), ("ask", {"query": SCENE}),
                           ("starts", {"query": SCENE}), ("close", {"what": "question"})]:
            r = client.post(f"/class/{code}/{path}", json=body, headers=headers)
            assert r.status_code == 403 and "teacher" in r.json["error"]
        assert client.get(f"/class/{code}/board", headers=headers).status_code == 403
        assert client.delete(f"/class/{code}", headers=headers).status_code == 403
    assert client.get(f"/class/{code}").json["version"] == 1  # nothing changed


def test_a_students_poll_is_answered_304_until_the_teacher_changes_the_scene(client):
    code, secret = teach(client)
    first = client.get(f"/class/{code}")
    tag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache"
    again = client.get(f"/class/{code}", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b""
    before = time.time()
    r = client.post(f"/class/{code}/scene", headers=secret,
                    json={"query": SCENE, "play": {"playing": True, "epoch": 40, "speed": 5,
                                                   "elapsed": 2.0}})
    assert r.status_code == 200
    changed = client.get(f"/class/{code}", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    doc = changed.json
    assert doc["scene"] == SCENE
    # the teacher's player started 2 s before it said so: "at" is the server's time then
    assert doc["play"]["playing"] and doc["play"]["epoch"] == 40
    assert before - 2.0 - 0.5 < doc["play"]["at"] < time.time() - 2.0 + 0.01
    assert doc["now"] >= doc["play"]["at"]


def test_bad_requests_get_a_clear_message_and_change_nothing(client, monkeypatch):
    code, secret = teach(client)
    cases = [
        ("post", f"/class/{code}/scene", {"query": "landscape=x"}, 400, "query"),
        ("post", f"/class/{code}/scene", {"query": "?" + "a" * classes.MAX_QUERY}, 400, "characters"),
        ("post", f"/class/{code}/scene", {"query": SCENE, "play": {"playing": "yes", "epoch": 0,
                                                                  "speed": 1}}, 400, "play"),
        ("post", f"/class/{code}/scene", {"query": SCENE, "play": {"playing": True, "epoch": -1,
                                                                  "speed": 1}}, 400, "play"),
        ("post", f"/class/{code}/scene", {"query": SCENE, "play": [1, 2]}, 400, "play"),
        ("post", f"/class/{code}/ask", {"query": "?landscape=nowhere&opt=adam"}, 400, "scene"),
        ("post", f"/class/{code}/close", {"what": "everything"}, 400, "close"),
        ("post", f"/class/{code}/join", {"sid": "x"}, 400, "sid"),
        ("post", f"/class/{code}/join", "not json", 400, "JSON object"),
        ("post", f"/class/{code}/guess", {"sid": SID, "question": 1, "x": 0, "y": 0}, 409, "closed"),
        ("post", f"/class/{code}/start", {"sid": SID, "round": 1, "x": 0, "y": 0}, 409, "closed"),
        ("get", "/class/ABC", None, 404, "6 letters"),
        ("get", "/class/ABCDEF", None, 404, "no class"),
    ]
    for method, path, body, status, words in cases:
        kwargs = {"data": body} if isinstance(body, str) else {"json": body}
        r = getattr(client, method)(path, headers=secret, **({} if body is None else kwargs))
        assert r.status_code == status, (path, body, r.json)
        assert words in r.json["error"], (path, r.json)
    assert client.get(f"/class/{code}").json["version"] == 1
    with monkeypatch.context() as m:  # a scene too heavy to run once per student
        m.setattr(classroom, "ROUND_SECONDS", 1e-9)
        for path in ("ask", "starts"):
            r = client.post(f"/class/{code}/{path}", json={"query": SCENE}, headers=secret)
            assert r.status_code == 400 and "too heavy" in r.json["error"]
    client.post(f"/class/{code}/ask", json={"query": SCENE}, headers=secret)
    for bad in [{"x": "nan", "y": 0}, {"x": 1e308 * 10, "y": 0}, {"x": "one", "y": 2}, {"x": None, "y": 0}]:
        r = client.post(f"/class/{code}/guess", json={"sid": SID, "question": 1, **bad})
        assert r.status_code == 400 and "number" in r.json["error"]


def test_where_will_it_end_keeps_one_guess_per_student_and_the_teacher_sees_them_all(client):
    code, secret = teach(client)
    asked = client.post(f"/class/{code}/ask", json={"query": SCENE}, headers=secret).json
    assert asked["question"] == {"id": 1, "open": True, "query": SCENE,
                                 "title": "Where will Gradient Descent end?"}
    for i in range(5):
        assert client.post(f"/class/{code}/guess",
                           json={"sid": sid(i), "question": 1, "x": i, "y": -i}).status_code == 200
    client.post(f"/class/{code}/guess", json={"sid": sid(0), "question": 1, "x": 0.5, "y": 0.25})
    board = client.get(f"/class/{code}/board", headers=secret).json
    assert sorted(board["guesses"]) == [[0.5, 0.25], [1.0, -1.0], [2.0, -2.0], [3.0, -3.0], [4.0, -4.0]]
    # the teacher plays the answer: the question closes, later guesses are refused
    client.post(f"/class/{code}/scene", headers=secret,
                json={"query": SCENE, "play": {"playing": True, "epoch": 0, "speed": 5}})
    assert client.get(f"/class/{code}").json["question"]["open"] is False
    late = client.post(f"/class/{code}/guess", json={"sid": sid(9), "question": 1, "x": 0, "y": 0})
    assert late.status_code == 409
    # a new question starts empty (the last one's guesses are dropped)
    client.post(f"/class/{code}/ask", json={"query": SCENE}, headers=secret)
    assert client.get(f"/class/{code}/board", headers=secret).json["guesses"] == []
    assert classes.store().read(f"{code}:guesses:1") is None


def test_everyones_start_runs_each_start_and_names_the_minimum_it_ends_in(client):
    code, secret = teach(client)
    opened = client.post(f"/class/{code}/starts", json={"query": ADAM}, headers=secret).json
    assert opened["starts"]["title"] == "Where does Adam end from your start?"
    ls = landscapes.get("himmelblau")
    spec = engine.parse_spec("adam:lr=0.1")
    points = [(-1.0, 1.0), (1.0, 1.0), (-1.0, -1.0), (1.0, -1.5), (0.2, 0.1)]
    for i, p in enumerate(points):
        r = client.post(f"/class/{code}/start", json={"sid": sid(i), "round": 1, "x": p[0], "y": p[1]},
                        environ_base={"REMOTE_ADDR": f"127.0.2.{i}"})
        assert r.status_code == 200, r.json
        # the engine's own run from that start, and the minimum nearest its end
        res = engine.run(ls, [spec], np.array([p]), 300, compiled=False)
        end = res.points[0, 0, -1]
        assert r.json["end"] == pytest.approx(end.tolist(), abs=1e-5)
        minima = np.array([m.point for m in ls.minima])
        nearest = int(np.argmin(np.hypot(*(minima - end).T)))
        assert np.hypot(*(minima[nearest] - end)) < many.tolerance(ls)
        assert r.json["outcome"] == f"min{nearest}"
        m = ls.minima[nearest]
        assert r.json["where"] == (f"at {'the' if m.kind == 'global' else 'a'} {m.kind} minimum "
                                   f"({m.point[0]:.3g}, {m.point[1]:.3g})")
    board = client.get(f"/class/{code}/board", headers=secret).json
    assert len(board["starts"]) == len(points) and sum(board["outcomes"].values()) == len(points)
    assert all(s["color"].startswith("#") for s in board["starts"])
    assert len(board["outcomes"]) >= 2  # these starts end in different minima
    outside = client.post(f"/class/{code}/start", json={"sid": sid(7), "round": 1, "x": 500, "y": 0})
    assert outside.status_code == 400


def test_a_class_holds_a_bounded_number_of_students(client, monkeypatch):
    monkeypatch.setattr(classes, "MAX_STUDENTS", 3)
    code, secret = teach(client)
    assert [client.post(f"/class/{code}/join", json={"sid": sid(i)}).status_code
            for i in range(5)] == [200, 200, 200, 409, 409]
    assert client.post(f"/class/{code}/join", json={"sid": sid(1)}).json == {"joined": 3}  # again
    client.post(f"/class/{code}/ask", json={"query": SCENE}, headers=secret)
    codes = [client.post(f"/class/{code}/guess", json={"sid": sid(i), "question": 1, "x": 0, "y": 0})
             .status_code for i in range(5)]
    assert codes == [200, 200, 200, 409, 409]


def test_a_server_holds_a_bounded_number_of_classes_and_each_ends(client, monkeypatch):
    monkeypatch.setenv("VISUALIZER_MAX_CLASSES", "4")
    first, _ = teach(client, "10.0.0.1")
    mine = [teach(client, "10.0.0.1")[0] for _ in range(classes.PER_CLIENT)]
    # one address holds PER_CLIENT classes: its newest ended its oldest
    assert client.get(f"/class/{first}").status_code == 404
    assert all(client.get(f"/class/{c}").status_code == 200 for c in mine)
    teach(client, "10.0.0.2")
    full = client.post("/class", environ_base={"REMOTE_ADDR": "10.0.0.3"})
    assert full.status_code == 503 and "try again" in full.json["error"]
    # a class that has lived its hours is gone, and makes room
    monkeypatch.setattr(classes.time, "time", lambda: time.time_ns() / 1e9 + 5 * 3600)
    assert client.get(f"/class/{mine[0]}").status_code == 404
    code, secret = teach(client, "10.0.0.3")
    assert set(classes.store().read(classes.INDEX)) == {code}
    monkeypatch.undo()
    ended = client.delete(f"/class/{code}", headers=secret)
    assert ended.status_code == 200 and client.get(f"/class/{code}").status_code == 404


def test_a_client_sending_too_many_writes_is_told_to_wait(fresh, monkeypatch):
    monkeypatch.setattr(classes, "_writes", classes._Rate(classes.WRITES_PER_SECOND))
    client = app.server.test_client()
    code, _ = teach(client)
    codes = [client.post(f"/class/{code}/join", json={"sid": sid(i)},
                         environ_base={"REMOTE_ADDR": "10.1.1.1"}).status_code for i in range(8)]
    assert codes[:classes.WRITES_PER_SECOND] == [200] * classes.WRITES_PER_SECOND
    assert set(codes[classes.WRITES_PER_SECOND:]) == {429}
    other = client.post(f"/class/{code}/join", json={"sid": sid(99)},
                        environ_base={"REMOTE_ADDR": "10.1.1.2"})
    assert other.status_code == 200  # another student is not slowed


def test_a_client_sending_starts_faster_than_one_a_second_is_told_to_wait(fresh, monkeypatch):
    """Each start is a run: one a second per address (per worker)."""
    monkeypatch.setattr(classes, "_runs", classes._Rate(classes.RUNS_PER_SECOND))
    client = app.server.test_client()
    code, secret = teach(client)
    client.post(f"/class/{code}/starts", json={"query": ADAM}, headers=secret)
    sent = [client.post(f"/class/{code}/start", json={"sid": sid(i), "round": 1, "x": 1, "y": 1},
                        environ_base={"REMOTE_ADDR": "10.1.2.1"}).status_code for i in range(3)]
    assert sent == [200, 429, 429]
    # a forged teacher's header does not buy the teacher's rate
    forged = client.post(f"/class/{code}/start", json={"sid": sid(5), "round": 1, "x": 1, "y": 1},
                         headers={"X-Class-Secret": "x"}, environ_base={"REMOTE_ADDR": "10.1.2.1"})
    assert forged.status_code == 429


def test_a_round_of_everyones_start_runs_a_bounded_number_of_starts(client, monkeypatch):
    monkeypatch.setattr(classes, "RUNS_PER_ROUND", 3)
    code, secret = teach(client)
    client.post(f"/class/{code}/starts", json={"query": ADAM}, headers=secret)
    sent = [client.post(f"/class/{code}/start", json={"sid": sid(i % 2), "round": 1, "x": i, "y": 1})
            for i in range(5)]
    assert [r.status_code for r in sent] == [200, 200, 200, 409, 409]
    assert "new round" in sent[-1].json["error"]
    client.post(f"/class/{code}/starts", json={"query": ADAM}, headers=secret)  # a new round
    again = client.post(f"/class/{code}/start", json={"sid": sid(0), "round": 2, "x": 0, "y": 1})
    assert again.status_code == 200
    assert classes.store().read(f"{code}:runs:1") is None  # the last round's count is gone


def test_the_rate_is_a_sliding_second():
    rate = classes._Rate(2)
    assert [rate.allow("a", t) for t in (0.0, 0.1, 0.2, 1.05, 1.15, 1.2)] == \
        [True, True, False, True, True, False]


def many_at_once(store_factory, n: int = 40) -> None:
    """n students' guesses written at once from n threads: every one is kept."""
    key = f"{classes.create('10.2.0.1')['code']}:guesses:1"
    barrier = threading.Barrier(n)

    def write(i: int) -> None:
        barrier.wait()
        assert store_factory().add(key, sid(i), [i, i], 1000, 60)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(store_factory().read(key)) == sorted(sid(i) for i in range(n))


def test_guesses_written_at_once_are_all_kept_on_disk(fresh):
    many_at_once(classes.store)


def test_a_class_store_that_does_not_answer_is_a_503_with_one_line(fresh, monkeypatch, caplog):
    """Redis down (nothing listens at REDIS_URL): every class request is answered 503
    at once, saying so, and logged in one line; the app's other pages are untouched."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{port}/0")
    classes.use_folder(None)
    client = app.server.test_client()
    started = time.monotonic()
    for method, path in [("post", "/class"), ("get", "/class/ABCDEF"),
                         ("post", "/class/ABCDEF/join")]:
        r = getattr(client, method)(path, json={"sid": SID})
        assert r.status_code == 503 and "class store is not answering" in r.json["error"]
    assert time.monotonic() - started < 10
    assert not [rec for rec in caplog.records if rec.exc_info and rec.levelname != "DEBUG"]
    assert client.get("/").status_code == 200  # the page itself needs no class store
