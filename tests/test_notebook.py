"""The notebook API (visualizer.notebook), its animations (visualizer.video), the
command line's ``animate``, and the example notebook a course hands out, executed
in a real Jupyter kernel."""

from __future__ import annotations

import base64
import io
import json
import os
import pathlib
import urllib.request

import numpy as np
import pytest

import landscapes
from scripts.serve import free_port
from visualizer import cli, engine, video
from visualizer import notebook as nb
from visualizer.engine import export, many
from visualizer.engine.fields import FieldError
from visualizer.pages.race import scene
from visualizer.ui import figures

ROOT = pathlib.Path(__file__).resolve().parents[1]
SPECS = ["gd:lr=0.001", "adam:lr=0.05", "adam:lr=0.5"]


@pytest.fixture(scope="module")
def race() -> nb.Race:
    return nb.race("rosenbrock", SPECS, start=(-1.5, 2), epochs=300)


def test_a_race_is_the_engines_run_with_the_apps_names(race):
    ls = landscapes.get("rosenbrock")
    specs = [engine.parse_spec(s) for s in SPECS]
    want = engine.run(ls, specs, (-1.5, 2.0), 300, record_state=False)
    np.testing.assert_array_equal(race.result.points, want.points)
    assert race.labels == ["Gradient Descent", "Adam, lr 0.05", "Adam, lr 0.5"]
    # its link opens the same race in the app, which runs each optimizer once
    with pytest.raises(FieldError, match="Optimizers: the app runs each optimizer once; this "
                                         "race runs adam more than once"):
        _ = race.link
    once = nb.race("rosenbrock", SPECS[:2], start=(-1.5, 2), epochs=300)
    ls2, specs2, start, steps, _ = scene.runs_of(once.link)
    assert (ls2.name, specs2, start, steps) == ("rosenbrock", specs[:2], (-1.5, 2.0), 300)
    assert race.to_csv() == export.result_to_csv(want)
    assert race.to_json() == export.result_to_json(want, (-1.5, 2.0))
    # a noisy race's link carries its noise and seed: the app draws the same paths
    noisy = nb.race("rosenbrock", SPECS[:2], start=(-1.5, 2), epochs=300, noise=2.0, seed=7)
    assert noisy.link.endswith("&grad_noise=2&grad_seed=7")
    assert scene.noise_of(noisy.link) == scene.Noise(2.0, 7)
    from visualizer.pages.race import callbacks

    app_runs = callbacks._scene_runs(noisy.link)["runs"]
    for i, run in enumerate(app_runs):
        np.testing.assert_allclose(figures.decode_floats(run["y"]), noisy.path(i)[0][:, 1], rtol=1e-6,
                                   atol=1e-6)


def test_the_table_says_where_each_run_ended(race, tmp_path):
    table = race.table()
    assert table.columns == ("optimizer", "settings", "final cost", "ends in")
    assert table.column("settings") == ["gd:lr=0.001,decay=0", "adam:lr=0.05,decay=0",
                                        "adam:lr=0.5,decay=0"]
    assert table.column("final cost") == [float(race.path(i)[1][-1]) for i in range(3)]
    assert table.column("ends in") == ["no listed minimum"] * 3
    long = nb.race("himmelblau", ["gd:lr=0.01", "gd:lr=1"], start=(0, 0), epochs=300)
    assert long.table().column("ends in")[0] == "global minimum (3, 2)"
    assert long.table().column("ends in")[1].startswith("diverged at epoch ")
    assert long.table()[1]["final cost"] is None
    html = long.table()._repr_html_()
    assert html.count("<tr>") == 3 and "global minimum (3, 2)" in html
    assert repr(long.table()).splitlines()[0].split() == ["optimizer", "settings", "final", "cost",
                                                          "ends", "in"]
    text = long.table().to_csv(tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_text() == text and text.startswith("optimizer,settings,")


def test_the_figure_plays_the_race_frame_by_frame(race):
    fig = race.figure(frames=40)
    epochs = [int(f.name) for f in fig.frames]
    assert epochs[0] == 0 and epochs[-1] == 300 and len(epochs) == 40 == len(set(epochs))
    assert [s.label for s in fig.layout.sliders[0].steps] == [str(e) for e in epochs]
    moving = list(fig.frames[0].traces)
    names = [fig.data[i].name for i in moving]
    assert names[0::2] == race.labels  # each run: its path, then its head
    for frame in (fig.frames[0], fig.frames[17], fig.frames[-1]):
        e = int(frame.name)
        for i in range(3):
            pts = race.path(i)[0]
            k = min(e, len(pts) - 1)
            line, head = frame.data[2 * i], frame.data[2 * i + 1]
            assert (line.x[-1], line.y[-1]) == (pts[k, 0], pts[k, 1]) == (head.x[0], head.y[0])
            assert len(line.x) <= nb.FRAME_PATH_POINTS
    # it opens on the last epoch, in the optimizers' own colours (one colour per optimizer,
    # a second run of it dashed)
    assert [fig.data[i].line.color for i in moving[0::2]] == ["#2563eb", "#db2777", "#db2777"]
    assert [fig.data[i].line.dash for i in moving[0::2]] == ["solid", "solid", "dash"]
    assert fig.layout.title.text == "Rosenbrock: 300 epochs from (-1.5, 2)"
    assert fig.layout.sliders[0].currentvalue.prefix == "epoch "  # the epoch shown, as it plays
    # the map is the app's contour as a picture (a contour trace vanishes once frames play),
    # with the contour's own colour bar kept by an invisible copy of it
    assert fig.layout.images[0].source == figures.contour_picture("rosenbrock")
    assert fig.layout.images[0].layer == "below" and fig.data[0].opacity == 0
    app_map = figures.contour_figure("rosenbrock").data[0]
    assert fig.data[0].colorbar == app_map.colorbar and fig.data[0].colorscale == app_map.colorscale
    assert json.loads(fig.to_json())["frames"][5]["name"] == str(epochs[5])


def test_the_cost_figure_is_the_apps_chart(race):
    fig = race.cost_figure(log=True)
    assert fig.layout.yaxis.type == "log"
    np.testing.assert_allclose(fig.data[1].y, np.maximum(race.path(1)[1], 1e-16))
    plain = race.cost_figure()
    np.testing.assert_array_equal(plain.data[0].y, race.path(0)[1])


def test_bad_settings_are_field_errors_naming_the_setting():
    cases = [(lambda: nb.race("nowhere", "adam"), "Landscape: unknown landscape 'nowhere'"),
             (lambda: nb.race("formula:-1,1,-1,1:x +* y", "adam"), "Landscape: "),
             (lambda: nb.race("himmelblau", "adan"), "Optimizer: unknown optimizer 'adan'"),
             (lambda: nb.race("himmelblau", "adam:lr=-1"), "Learning rate: must be greater than 0"),
             (lambda: nb.race("himmelblau", "adam:lr"), "Optimizer: bad optimizer setting 'lr'"),
             (lambda: nb.race("himmelblau", "adam", start=(1e9, 0)), "Start: must lie within"),
             (lambda: nb.race("himmelblau", "adam", start="here"), "Start: give two numbers"),
             (lambda: nb.race("himmelblau", "adam", epochs=0), "Epochs: must be a whole number"),
             (lambda: nb.race("himmelblau", []), "Optimizers: give at least one"),
             (lambda: nb.sweep("himmelblau", "adam", lrs="1:2"), "Learning rates: give LO:HI:N"),
             (lambda: nb.lr_momentum_map("himmelblau", "gd"), "Optimizer: choose from momentum"),
             (lambda: nb.basins("himmelblau", "adam", grid=1), "Grid: must be a whole number")]
    for call, message in cases:
        with pytest.raises(FieldError) as info:
            call()
        assert message.lower() in str(info.value).lower(), str(info.value)
    with pytest.raises(many.TooMuchWork):
        nb.basins("himmelblau", ["adam"] * 8, epochs=100_000, grid=400)


def test_the_many_run_views_are_the_command_lines(tmp_path, capsys):
    b = nb.basins("himmelblau", ["gd:lr=0.01", "adam:lr=0.05"], epochs=200, grid=12)
    cli.main(["basins", "himmelblau", "--optimizer", "gd:lr=0.01", "--optimizer", "adam:lr=0.05",
              "--steps", "200", "--grid", "12"])
    assert b.to_csv() == capsys.readouterr().out
    assert "Gradient Descent" in b.summary()
    assert [t.name for t in b.figure().data if t.type == "heatmap"] == ["Gradient Descent", "Adam"]
    s = nb.sweep("rosenbrock", ["gd", "adam"], start=(-1.5, 2), lrs="1e-4:1:12", epochs=200)
    cli.main(["sweep", "rosenbrock", "--optimizer", "gd", "--optimizer", "adam", "--start", "-1.5",
              "2", "--lrs", "1e-4:1:12", "--steps", "200"])
    assert s.to_csv() == capsys.readouterr().out
    assert s.summary().startswith("Within 10× of each optimizer's best final cost")
    assert "Click" not in s.summary() and s.figure().layout.title.text == s.summary()
    m = nb.lr_momentum_map("ill_conditioned_bowl", epochs=100, lrs="1e-3:0.1:8", momenta=5)
    assert len(m.table()) == 8 * 5 and m.table().columns == export.MAP_COLUMNS
    assert any(t.name == "lr = 2(1 + μ)/L" for t in m.figure().data)  # the closed-form edge


def _colour_pixels(frame: np.ndarray, color: str, tol: int = 40) -> int:
    rgb = np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(frame[..., :3].astype(int) - rgb).max(axis=-1) < tol).sum())


def test_animations_write_every_frame_in_the_apps_colours(race, tmp_path):
    import imageio_ffmpeg
    from PIL import Image

    epochs = race.frame_epochs(round(12 * 2))
    mp4 = race.animate(tmp_path / "race.mp4", fps=12, seconds=2, size=(641, 361), progress=False)
    reader = imageio_ffmpeg.read_frames(str(mp4))
    meta = next(reader)
    frames = [np.frombuffer(f, np.uint8).reshape(360, 640, 3) for f in reader]
    assert meta["size"] == (640, 360) and meta["fps"] == 12 and meta["codec"].startswith("h264")
    assert len(frames) == len(epochs) == 24  # every frame, none dropped
    assert abs(meta["duration"] - 2.0) < 0.1
    assert not np.array_equal(frames[5], frames[6])
    # Three paths that part ways on Himmelblau: each grows in its own colour, frame by frame
    three = nb.race("himmelblau", ["gd:lr=0.01", "momentum:lr=0.01", "adam:lr=0.1"], start=(0, 0),
                    epochs=200)
    reader = imageio_ffmpeg.read_frames(str(three.animate(tmp_path / "three.mp4", fps=12, seconds=2,
                                                          size=(640, 360), progress=False)))
    next(reader)
    frames = [np.frombuffer(f, np.uint8).reshape(360, 640, 3) for f in reader]
    for color in ("#2563eb", "#16a34a", "#db2777"):
        counts = [_colour_pixels(frames[k], color) for k in (0, 3, 23)]
        assert counts[0] < 20 and counts[1] > counts[0] + 30 and counts[2] >= counts[1], (color, counts)

    gif = race.animate(tmp_path / "race.gif", fps=10, seconds=1, size=(320, 180), progress=False)
    with Image.open(gif) as im:
        assert im.size == (320, 180) and im.n_frames == 10 and im.info["duration"] == 100
    webm = race.animate(tmp_path / "race.webm", fps=10, seconds=1, size=(320, 180), progress=False)
    reader = imageio_ffmpeg.read_frames(str(webm))
    assert next(reader)["codec"].startswith("vp9") and sum(1 for _ in reader) == 10

    short = nb.race("himmelblau", "adam:lr=0.1", epochs=5)  # one frame per epoch when fewer
    assert list(short.frame_epochs(300)) == [0, 1, 2, 3, 4, 5]


def test_animation_settings_are_checked_before_any_work(race, tmp_path):
    for kwargs, message in [({"path": tmp_path / "a.avi"}, "File: end its name in .mp4, .webm, .gif"),
                            ({"fps": 0}, "Frames a second: must be"),
                            ({"seconds": 1e6}, "Seconds: must be"),
                            ({"size": (10, 10)}, "Size: must be a whole number from 160"),
                            ({"size": "big"}, "Size: give width and height")]:
        args = {"path": tmp_path / "a.gif", **kwargs}
        with pytest.raises(FieldError, match=message):
            race.animate(args.pop("path"), progress=False, **args)
    assert not list(tmp_path.iterdir())


def test_the_command_line_animates(tmp_path, capsys):
    out = tmp_path / "cli.gif"
    assert cli.main(["animate", "himmelblau", "--start", "0", "0", "--steps", "100", "--optimizer",
                     "gd:lr=0.01", "--optimizer", "adam:lr=0.1", "--output", str(out), "--fps", "5",
                     "--seconds", "1", "--size", "320x180"]) == 0
    err = capsys.readouterr().err
    assert "cli.gif ▕████████████████████████▏ 100 % (5/5 frames)" in err and f"wrote {out}" in err
    assert out.read_bytes()[:6] == b"GIF89a"
    assert cli.main(["animate", "himmelblau", "--optimizer", "adam", "--output",
                     str(tmp_path / "x.gif"), "--size", "big"]) == 2
    assert capsys.readouterr().err == ("python -m visualizer: error: Size: give WIDTHxHEIGHT in "
                                       "pixels, e.g. 1280x720 (got 'big')\n")
    assert cli.main(["animate", "himmelblau", "--optimizer", "adan", "--output",
                     str(tmp_path / "x.gif")]) == 2
    assert "Optimizer: unknown optimizer 'adan'" in capsys.readouterr().err


def test_show_app_needs_a_kernel():
    with pytest.raises(RuntimeError, match="needs a Jupyter kernel"):
        nb.show_app("?page=lr")
    with pytest.raises(FieldError, match="Mode: choose from inline, external"):
        nb.show_app(mode="tab")


def test_video_formats_are_named_in_the_help():
    assert set(video.FORMATS) == {".mp4", ".webm", ".gif"}
    assert "python -m visualizer animate" in cli.EXAMPLES


# -- The example notebook, in a real kernel ---------------------------------------------------
def test_the_example_notebook_runs_and_shows_what_it_says(tmp_path, monkeypatch):
    """Executed cell by cell in an IPython kernel (nbclient), from a folder of its own;
    then, while the kernel still serves it, the app it opened answers on its scene."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(ROOT / "examples" / "optimizers.ipynb", as_version=4)
    port = free_port()
    last = notebook.cells[-1]
    assert last.source == "nb.show_app(race, port=8050)"
    last.source = f"nb.show_app(race, port={port})"  # a free port for the test
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    with client.setup_kernel():
        for i, cell in enumerate(notebook.cells):
            client.execute_cell(cell, i)
        url = f"http://127.0.0.1:{port}/"
        with urllib.request.urlopen(url + "healthz", timeout=30) as answer:
            assert answer.status == 200
        with urllib.request.urlopen(url + "api/runs" + nb_race_link(notebook), timeout=60) as answer:
            runs = json.load(answer)
        assert [r["name"] for r in runs["runs"]] == ["gd", "momentum", "adam"]

    outputs = {i: c.outputs for i, c in enumerate(notebook.cells) if c.cell_type == "code"}
    errors = [o for outs in outputs.values() for o in outs if o.output_type == "error"]
    assert not errors, errors
    text = "".join(o.get("text", "") for o in outputs[1])
    assert "rosenbrock" in text and "adabelief" in text
    table = outputs[3][0]["data"]["text/html"]
    assert table.count("<tr>") == 4 and "Adam" in table

    def shown(i: int) -> dict:
        """What cell i shows (its result's data)."""
        return next(o["data"] for o in outputs[i] if "data" in o)

    for i in (5, 6, 8, 10):  # race, cost, sweep, basins: Plotly figures
        assert "application/vnd.plotly.v1+json" in shown(i), i
    assert len(shown(5)["application/vnd.plotly.v1+json"]["frames"]) == 100
    assert "Within 10× of each optimizer's best" in "".join(o.get("text", "") for o in outputs[8])
    gif = tmp_path / "race.gif"
    from PIL import Image

    with Image.open(gif) as im:
        assert im.n_frames == 30 and im.size == (640, 360)
    assert "image/gif" in shown(12)
    assert f'src="http://127.0.0.1:{port}/?landscape=rosenbrock' in shown(14)["text/html"]


def nb_race_link(notebook) -> str:
    """The race's link, as the notebook's race cell builds it (run here too)."""
    race = nb.race("rosenbrock", start=(-1.5, 2), epochs=500,
                   optimizers=["gd:lr=0.001", "momentum:lr=0.001", "adam:lr=0.05"])
    assert 'optimizers=["gd:lr=0.001", "momentum:lr=0.001", "adam:lr=0.05"]' in notebook.cells[3].source
    return race.link


def test_notebook_requirements_are_optional():
    text = (ROOT / "requirements.txt").read_text()
    assert "matplotlib" not in text and "imageio" not in text
    extra = (ROOT / "requirements-notebook.txt").read_text()
    assert "matplotlib==" in extra and "imageio-ffmpeg==" in extra
    assert "-r requirements-notebook.txt" in (ROOT / "requirements-test.txt").read_text()
    assert os.path.exists(ROOT / "examples" / "optimizers.ipynb")


def test_the_map_stays_while_the_figure_plays(race, tmp_path):
    """In a browser (Debian's Chromium; without it this fails): ▶ plays the frames, the
    paths grow, and the map under them stays (a contour trace would vanish here)."""
    from playwright.sync_api import sync_playwright

    from tests.browser import ARTIFACTS, HEADLESS_SHELL, TEST_ARGS

    page_file = tmp_path / "race.html"
    race.figure(frames=30).write_html(page_file, include_plotlyjs=True, auto_play=False)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=HEADLESS_SHELL, args=TEST_ARGS)
        page = browser.new_page(viewport={"width": 900, "height": 700})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_file.as_uri())
        page.wait_for_selector(".imagelayer image")
        lengths = "() => document.querySelector('.js-plotly-plot')._fullData.slice(-6).map(t => t._length)"
        at_end = page.evaluate(lengths)
        page.get_by_text("▶").first.click()
        page.wait_for_timeout(400)
        playing = page.evaluate(lengths)
        assert sum(playing) < sum(at_end)  # back to the start, growing again
        page.wait_for_function(f"want => JSON.stringify(({lengths})()) === JSON.stringify(want)",
                               arg=at_end, timeout=10000)  # played to the last frame
        assert page.locator(".imagelayer image").count() == 1  # the map is still there
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "30-notebook-figure.png"))
        browser.close()
    assert not errors, errors


def test_the_map_picture_is_the_apps_contour():
    from PIL import Image

    uri = figures.contour_picture("rosenbrock")
    with Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))) as im:
        pixels = np.asarray(im.convert("RGB"))
    assert pixels.shape == (600, 600, 3)
    ls = landscapes.get("rosenbrock")
    (x0, x1), (y0, y1) = ls.domain

    def at(x: float, y: float) -> np.ndarray:  # row 0 is the top (y1)
        return pixels[int((y1 - y) / (y1 - y0) * 599), int((x - x0) / (x1 - x0) * 599)]

    light = np.array([int(figures.COLORSCALE[0][1][i:i + 2], 16) for i in (1, 3, 5)])
    rows, cols = np.nonzero(np.abs(pixels.astype(int) - light).max(axis=-1) <= 2)
    assert len(rows)  # the lowest band: the light end, around the minimum (1, 1)
    assert abs(x0 + cols.mean() / 599 * (x1 - x0) - 1) < 0.3
    assert abs(y1 - rows.mean() / 599 * (y1 - y0) - 1) < 0.3
    assert at(-2, -2).sum() < at(0, 1.5).sum() < at(0.5, 0.25).sum()  # darker uphill
