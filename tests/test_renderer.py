"""Dash's renderer as the app serves it: Dash's own bundle with one walk made linear
(visualizer/server/renderer.py). That the page works with it is what every browser
test shows (they run it: test_browser checks the page loaded this bundle)."""

from __future__ import annotations

import logging
import re

import pytest

import app
from visualizer.server import renderer


@pytest.fixture
def client():
    return app.server.test_client()


@pytest.mark.parametrize("name", sorted(renderer.LINEAR_WALK))
def test_each_bundle_is_dashs_own_with_the_one_walk_changed(name):
    shipped = (renderer.BUILD / name).read_text(encoding="utf-8")
    old, new = renderer.LINEAR_WALK[name]
    # Dash's bundle holds the quadratic step once (after an upgrade this fails: look again)
    assert shipped.count(old) == 1 and new not in shipped
    served, changed = renderer.bundle(name)
    assert changed
    served = served.decode("utf-8")
    assert served.count(new) == 1 and old not in served
    assert served.replace(new, old) == shipped  # nothing else differs


def test_the_page_asks_for_the_bundle_the_app_changed(client):
    page = client.get("/").get_data(as_text=True)
    address = re.search(r'src="([^"]*/dash_renderer\.[^"]*\.min\.js)"', page).group(1)
    answer = client.get(address)
    assert answer.status_code == 200 and answer.mimetype == "application/javascript"
    assert answer.data == renderer.bundle("dash_renderer.min.js")[0]
    assert answer.headers["Cache-Control"] == "max-age=31536000"  # as Dash's: a versioned name
    head = client.head(address)  # as the GET: Flask sends the headers, not the body
    assert head.headers["Content-Length"] == str(len(answer.data))
    plain = client.get(renderer.SUITE + "dash_renderer.min.js")  # no version in the name
    assert plain.data == answer.data
    assert client.get(renderer.SUITE + "dash_renderer.min.js",
                      headers={"If-None-Match": plain.headers["ETag"]}).status_code == 304
    # the build's other files still come from Dash's handler
    worker = client.get(renderer.SUITE + "dash-ws-worker.js")
    assert worker.data == (renderer.BUILD / "dash-ws-worker.js").read_bytes()


def test_a_dash_without_the_walk_gets_its_bundle_as_shipped(tmp_path, monkeypatch, caplog):
    (tmp_path / "dash_renderer.min.js").write_text("console.log('another Dash');\n")
    monkeypatch.setattr(renderer, "BUILD", tmp_path)
    renderer.bundle.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, "visualizer.renderer"):
            served, changed = renderer.bundle("dash_renderer.min.js")
    finally:
        renderer.bundle.cache_clear()
    assert (served, changed) == (b"console.log('another Dash');\n", False)
    assert [r.getMessage() for r in caplog.records] == [
        "Dash's dash_renderer.min.js does not hold the walk this app changes "
        f"(Dash {renderer.dash.__version__}): served as Dash ships it"]
