"""The command line, run as a user would: ``python -m visualizer``."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

import landscapes
from visualizer.cli import main
from visualizer.engine import optimizers


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "visualizer", *args],
                          capture_output=True, text=True, timeout=60)


def test_run_json_follows_the_contract():
    p = cli("run", "himmelblau", "--start", "0.5", "-1", "--steps", "25",
            "--optimizer", "adam:lr=0.02,beta1=0.8,decay=0.01", "--optimizer", "gd")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["landscape"] == "himmelblau" and doc["start"] == [0.5, -1.0] and doc["steps"] == 25
    adam, gd = doc["runs"]
    assert adam["optimizer"] == "adam" and gd["optimizer"] == "gd"
    assert adam["params"] == {"lr": 0.02, "decay": 0.01, "beta1": 0.8, "beta2": 0.999, "eps": 1e-8}
    assert gd["params"] == {"lr": 1e-3, "decay": 0.0}  # torch's default lr
    for run in doc["runs"]:
        assert run["points"][0] == [0.5, -1.0]
        assert len(run["points"]) == len(run["losses"]) == 26 and run["diverged_at"] is None
    f = landscapes.get("himmelblau").f
    assert gd["losses"][5] == float(f(gd["points"][5]))


def test_main_in_process_equals_subprocess(capsys):
    args = ["run", "rosenbrock", "--steps", "5", "--optimizer", "nadam"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(cli(*args).stdout)


def test_diverged_run_is_trimmed_and_reported():
    p = cli("run", "himmelblau", "--steps", "50", "--start", "0", "0", "--optimizer", "gd:lr=0.1")
    run = json.loads(p.stdout)["runs"][0]
    assert run["diverged_at"] is not None and len(run["points"]) == run["diverged_at"]


def test_csv_and_output_file(tmp_path):
    out = tmp_path / "runs.csv"
    p = cli("run", "booth", "--steps", "4", "--format", "csv", "--output", str(out),
            "--optimizer", "momentum:lr=0.01", "--optimizer", "rmsprop:schedule=step,step_size=2")
    assert p.returncode == 0 and p.stdout == ""
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert list(rows[0]) == ["run", "optimizer", "step", "x", "y", "loss", "lr"]
    assert len(rows) == 10 and rows[0]["lr"] == "" and rows[5]["optimizer"] == "rmsprop"
    assert [float(r["lr"]) for r in rows[6:]] == [0.01, 0.01, 0.005, 0.005]
    start = landscapes.get("booth").start
    assert (float(rows[0]["x"]), float(rows[0]["y"])) == start


def test_list_names_everything():
    p = cli("list")
    assert p.returncode == 0
    for name in [*landscapes.names(), *optimizers.OPTIMIZERS, "cosine", "warmup"]:
        assert name in p.stdout
    doc = json.loads(cli("list", "--format", "json").stdout)
    assert [o["name"] for o in doc["optimizers"]] == list(optimizers.OPTIMIZERS)
    adam = next(o for o in doc["optimizers"] if o["name"] == "adam")
    assert adam["params"]["beta2"] == 0.999


@pytest.mark.parametrize(("args", "needle"), [
    (["run", "himmelblu", "--optimizer", "adam"], "choose from: himmelblau"),
    (["run", "himmelblau", "--optimizer", "adamm"], "choose from: gd, momentum"),
    (["run", "himmelblau"], "required: --optimizer"),
    (["run", "--optimizer", "adam"], "required: LANDSCAPE"),
    ([], "required"),
    (["run", "himmelblau", "--optimizer", "adam:lr=-1"],
     "Learning rate: must be greater than 0 and at most 1000 (got -1)"),
    (["run", "himmelblau", "--optimizer", "adam:lr=fast"], "Learning rate: must be a number (got 'fast')"),
    (["run", "himmelblau", "--optimizer", "adam:lr"], "expected key=value"),
    (["run", "himmelblau", "--optimizer", "adam:beta1=1.2"], "Beta1: must be at least 0 and less than 1 (got 1.2)"),
    (["run", "himmelblau", "--optimizer", "gd:momentum=0.9"], "choose from: lr, decay"),
    (["run", "himmelblau", "--optimizer", "adam", "--steps", "0"],
     "Steps: must be a whole number from 1 to 100,000 (got 0)"),
    (["run", "himmelblau", "--optimizer", "adam", "--steps", "1000001"], "Steps: must be a whole number"),
    (["run", "himmelblau", "--optimizer", "adam", "--start", "nan", "0"], "Start: must"),
    (["run", "himmelblau", "--optimizer", "adam", "--format", "xml"], "invalid choice: 'xml'"),
    (["bogus"], "invalid choice: 'bogus'"),
    (["basins", "himmelblau", "--optimizer", "adam", "--grid", "1"], "Grid: must be a whole number from 2 to 400 (got 1)"),
    (["basins", "himmelblau", "--optimizer", "adam", "--grid", "400", "--steps", "10000"],
     "too much work: 160,000 grid cells × 1 optimizer × 10,000 epochs"),
    (["basins", "himmelblu", "--optimizer", "adam"], "choose from: himmelblau"),
    (["basins", "himmelblau"], "required: --optimizer"),
    (["sweep", "himmelblau", "--optimizer", "adam", "--lrs", "1e-3:10"], "give LO:HI:N"),
    (["sweep", "himmelblau", "--optimizer", "adam", "--lrs", "1:0.1:5"], "LO must be less than HI"),
    (["sweep", "himmelblau", "--optimizer", "adam:lr=-1"], "Learning rate: must be greater than 0"),
    (["train", "mnist", "--optimizer", "adam"], "invalid choice: 'mnist' (choose from 'moons'"),
    (["train", "moons"], "required: --optimizer"),
    (["train", "moons", "--optimizer", "adam", "--model", "mlp:64,64,64"],
     "Model: must have at most 5,000 weights (got 8,642: lower the hidden widths)"),
    (["train", "moons", "--optimizer", "adam", "--model", "rnn"], "Model: must be linear"),
    (["train", "moons", "--optimizer", "adam", "--epochs", "0"],
     "Epochs: must be a whole number from 1 to 10,000 (got 0)"),
    (["train", "moons", "--optimizer", "adam", "--batch", "-3"], "Batch: must be a whole number"),
    (["train", "moons", "--optimizer", "adam", "--noise", "nan"], "Noise: must be a finite number"),
    (["train", "digits", "--optimizer", "adam", "--size", "5000"], "Size: must be a whole number"),
    (["train", "moons", "--optimizer", "adam:lr=0"], "Learning rate: must be greater than 0"),
])
def test_bad_input_is_one_line_and_exit_2(args, needle, capsys):
    """In this process (``main``, which ``python -m visualizer`` exits with: see the
    next test): a Python start per case would cost a third of a second each."""
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], err


def test_bad_input_from_the_command_is_one_line_and_exit_2():
    p = cli("run", "himmelblau", "--optimizer", "adam:lr=fast")
    assert p.returncode == 2 and p.stdout == ""
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].endswith(" error: Learning rate: must be a number (got 'fast')")


def test_basins_csv_has_a_row_per_optimizer_and_start():
    p = cli("basins", "himmelblau", "--optimizer", "gd:lr=0.01", "--optimizer", "adam:lr=0.001",
            "--grid", "4", "--steps", "300")
    assert p.returncode == 0, p.stderr
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    assert list(rows[0]) == ["optimizer", "x0", "y0", "x", "y", "loss", "outcome", "epochs"]
    assert len(rows) == 2 * 16 and [r["optimizer"] for r in rows[::16]] == ["gd", "adam"]
    ls = landscapes.get("himmelblau")
    for row in rows:
        x, y = float(row["x"]), float(row["y"])
        i = ls.minimum_near((x, y))
        assert row["outcome"] == ("elsewhere" if i is None else f"min{i}")
        assert (row["epochs"] == "") == (i is None)
    assert {r["outcome"] for r in rows[:16]} == {"min0", "min1", "min2", "min3"}  # gd finds all four
    doc = json.loads(cli("basins", "himmelblau", "--optimizer", "gd:lr=0.01", "--grid", "2",
                         "--steps", "50", "--format", "json").stdout)
    assert len(doc) == 4 and set(doc[0]) == {"optimizer", "x0", "y0", "x", "y", "loss", "outcome", "epochs"}


def test_sweep_marks_divergence_and_list_numbers_the_minima():
    p = cli("sweep", "himmelblau", "--start", "0", "0", "--optimizer", "gd", "--lrs", "1e-3:1:4",
            "--steps", "200")
    assert p.returncode == 0, p.stderr
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    assert list(rows[0]) == ["optimizer", "lr", "loss", "epochs", "diverged_at"]
    assert [float(r["lr"]) for r in rows] == pytest.approx([1e-3, 1e-2, 0.1, 1.0])
    assert rows[0]["diverged_at"] == "" and rows[-1]["diverged_at"] != "" and rows[-1]["loss"] == ""
    listing = cli("list").stdout
    assert "min0: global minimum at (3, 2), f = 0" in listing
    assert "min1: local minimum at (0.960150, 0), f = 0.294146" in listing or \
        "min1: local minimum at (0.96015, 0), f = 0.294146" in listing


def test_train_prints_every_epoch_of_every_optimizer_as_the_engine_trains():
    from visualizer import engine
    from visualizer.engine import training

    args = ("train", "moons", "--model", "mlp:8", "--optimizer", "adam:lr=0.01",
            "--optimizer", "gd:lr=0.5", "--epochs", "20", "--batch", "32", "--seed", "3")
    p = cli(*args, "--format", "csv")
    assert p.returncode == 0, p.stderr
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    assert list(rows[0]) == ["run", "optimizer", "epoch", "train_loss", "test_loss",
                             "train_accuracy", "test_accuracy"]
    assert len(rows) == 2 * 21 and [r["optimizer"] for r in rows[::21]] == ["adam", "gd"]
    data = training.load("moons", seed=3)
    model = training.parse_model("mlp:8", 2, 2)
    tr = training.train(data, model, [engine.parse_spec("adam:lr=0.01"), engine.parse_spec("gd:lr=0.5")],
                        20, batch=32, seed=3)
    assert [float(r["train_loss"]) for r in rows[:21]] == tr.train_loss[0].tolist()  # to the bit
    assert [float(r["test_accuracy"]) for r in rows[21:]] == tr.test_accuracy[1].tolist()
    doc = json.loads(cli(*args).stdout)
    assert doc["data"] == {"name": "moons", "size": 400, "noise": 0.1, "seed": 3, "test": 0.25,
                           "train_rows": 300, "test_rows": 100, "features": 2, "classes": 2}
    assert doc["model"] == {"model": "mlp:8", "activation": "tanh", "weights": 42}
    assert doc["batch"] == 32 and doc["epochs"] == 20
    adam = doc["runs"][0]
    assert adam["params"] == {"lr": 0.01, "decay": 0.0, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    assert adam["weights"] == tr.last_weights[0].tolist() and adam["diverged_at"] is None
    # regression: no accuracy; a run that diverges is trimmed and says where
    wave = json.loads(cli("train", "wave", "--optimizer", "gd:lr=100", "--activation", "relu",
                          "--size", "60", "--seed", "1", "--init-seed", "6", "--epochs", "5").stdout)
    run = wave["runs"][0]
    assert run["train_accuracy"] is None and run["diverged_at"] == 2 and len(run["train_loss"]) == 2


def test_help_explains_the_optimizer_syntax():
    p = cli("run", "--help")
    assert p.returncode == 0
    assert "NAME[:key=value,...]" in p.stdout and "adam:lr=0.05,decay=0.01" in p.stdout
