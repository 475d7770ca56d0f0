"""The command line: ``python -m visualizer run|basins|sweep|train|animate|list``.

``run`` prints the trajectories of one or more optimizers on a landscape as
JSON or CSV; ``basins`` prints where every start of a grid ends up, per
optimizer; ``sweep`` prints each optimizer's final cost at every learning rate
of a log range; ``train`` trains a model on a data set with each optimizer and
prints its losses and accuracies per epoch; ``animate`` writes the race as an MP4, WebM or GIF (with
requirements-notebook.txt); ``list`` prints the landscapes (with their known
minima, by index) and the optimizers with their hyperparameters. A bad name,
value or missing argument prints one line to stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import landscapes
from visualizer import engine
from visualizer.engine import export, many, optimizers, schedules, training
from visualizer.engine.fields import FieldError

EXAMPLES = """\
examples:
  python -m visualizer list
  python -m visualizer run himmelblau --start 0 0 --steps 200 \\
      --optimizer gd:lr=0.01 --optimizer adam:lr=0.05,decay=0.01
  python -m visualizer run rosenbrock --steps 500 --format csv --output runs.csv \\
      --optimizer momentum:lr=0.001,momentum=0.95 \\
      --optimizer adam:lr=0.1,schedule=cosine,warmup=20
  python -m visualizer run "formula:-3,3,-3,3:x**2 + 3*sin(y)" --start 1 2 \\
      --optimizer adam:lr=0.1
  python -m visualizer basins himmelblau --optimizer gd:lr=0.001 --optimizer adam:lr=0.001 \\
      --grid 120 --steps 1000 --format csv
  python -m visualizer sweep rosenbrock --start -1.5 1.5 --optimizer adam --optimizer gd \\
      --lrs 1e-5:10:60 --steps 1000
  python -m visualizer train moons --model mlp:16,16 --optimizer adam:lr=0.01 \\
      --optimizer gd:lr=0.1 --epochs 200 --batch 32 --format csv
  python -m visualizer animate rosenbrock --start -1.5 2 --steps 500 --output race.mp4 \\
      --optimizer gd:lr=0.001 --optimizer adam:lr=0.05 --seconds 8 --size 1280x720

LANDSCAPE is a name from `list`, or your own: formula:X0,X1,Y0,Y1:F with F a
formula in x and y (numbers, pi, e, + - * / ** or ^, parentheses, sin cos tan
exp log sqrt abs tanh sinh cosh atan sign; exponents are constants up to 10)
drawn on [X0, X1] x [Y0, Y1]; its gradient is derived exactly.

An optimizer is NAME[:key=value,...]. Every optimizer takes lr (default:
torch's) and decay (step t runs at lr / (1 + decay * (t - 1))), plus its own
hyperparameters (see `list`), and optionally a schedule on top:
schedule=constant|step|exponential|cosine with warmup=N and, for step,
step_size and gamma; for exponential, gamma; for cosine, period and min_factor.
"""


class UsageError(Exception):
    """A bad command line: reported as one line on stderr, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one clear line, not usage + error
        raise UsageError(message)


def _build_parser() -> _Parser:
    parser = _Parser(
        prog="python -m visualizer",
        description="Run optimizers on 2-D cost landscapes and print their paths, where every "
        "start of a grid ends up (basins), and how the final cost depends on the learning rate "
        "(sweep); train a model on a data set with each optimizer (train); or write the race as a "
        "video (animate).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="{run,basins,sweep,train,animate,list}")
    sub.required = True
    run = sub.add_parser(
        "run",
        help="run optimizers and print their trajectories",
        description="Run optimizers from one start and print every step.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.error = parser.error  # type: ignore[method-assign]
    run.add_argument("landscape", metavar="LANDSCAPE", help="a landscape name (see `list`), or formula:X0,X1,Y0,Y1:F")
    run.add_argument(
        "--start", nargs=2, type=float, metavar=("X", "Y"),
        help="starting point (default: the landscape's own start)",
    )
    run.add_argument(
        "--steps", type=int, default=100,
        help=f"number of updates, 1..{engine.MAX_STEPS} (default: 100)",
    )
    run.add_argument(
        "--optimizer", action="append", required=True, metavar="NAME[:key=value,...]",
        help="an optimizer and its settings; repeat for several runs",
    )
    run.add_argument("--noise", type=float, default=0.0,
                     help="std of Gaussian noise added to each gradient (default: 0)")
    run.add_argument("--seed", type=int, default=0, help="seed of the noise (default: 0)")
    run.add_argument("--format", choices=("json", "csv"), default="json",
                     help="output format (default: json)")
    run.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout")
    basins = sub.add_parser(
        "basins", help="where every start of a grid ends up, per optimizer",
        description="Run each optimizer from every start of a GRID x GRID grid over the "
        "landscape's domain; one row per optimizer and start: optimizer,x0,y0,x,y,loss,"
        "outcome,epochs. outcome is the listed minimum the run ends in (min0, min1, ... in "
        "`list`'s order), elsewhere or diverged; epochs is the first epoch within the "
        "tolerance of that minimum (2 %% of the domain's wider side), empty if none.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    basins.error = parser.error  # type: ignore[method-assign]
    basins.add_argument("landscape", metavar="LANDSCAPE", help="a landscape name (see `list`), or formula:X0,X1,Y0,Y1:F")
    basins.add_argument("--optimizer", action="append", required=True, metavar="NAME[:key=value,...]",
                        help="an optimizer and its settings; repeat for several")
    basins.add_argument("--grid", type=int, default=many.DEFAULT_GRID,
                        help=f"starts per side, 2..{many.MAX_GRID} (default: {many.DEFAULT_GRID})")
    basins.add_argument("--steps", type=int, default=1000, help="epochs per run (default: 1000)")
    basins.add_argument("--format", choices=("csv", "json"), default="csv",
                        help="output format (default: csv)")
    basins.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout")
    sweep = sub.add_parser(
        "sweep", help="each optimizer's final cost at every learning rate of a log range",
        description="Run each optimizer (its other settings as given; its lr is replaced) "
        "from one start at N learning rates from LO to HI, evenly spaced on a log scale; one "
        "row per optimizer and lr: optimizer,lr,loss,epochs,diverged_at (empty where there "
        "is none).", epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    sweep.error = parser.error  # type: ignore[method-assign]
    sweep.add_argument("landscape", metavar="LANDSCAPE", help="a landscape name (see `list`), or formula:X0,X1,Y0,Y1:F")
    sweep.add_argument("--start", nargs=2, type=float, metavar=("X", "Y"),
                       help="starting point (default: the landscape's own start)")
    sweep.add_argument("--optimizer", action="append", required=True, metavar="NAME[:key=value,...]",
                       help="an optimizer and its settings; repeat for several")
    sweep.add_argument("--lrs", default="1e-5:10:60", metavar="LO:HI:N",
                       help="learning rates, log-spaced (default: 1e-5:10:60)")
    sweep.add_argument("--steps", type=int, default=1000, help="epochs per run (default: 1000)")
    sweep.add_argument("--format", choices=("csv", "json"), default="csv",
                       help="output format (default: csv)")
    sweep.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout")
    train = sub.add_parser(
        "train", help="train a model on a data set with each optimizer",
        description="Train one model on a data set with each optimizer, from the same starting "
        "weights and on the same minibatches (shuffled each epoch from --seed), and print the "
        "training and held-out loss and accuracy of every epoch (epoch 0: the starting "
        "weights). CSV: one row per optimizer and epoch: run,optimizer,epoch,train_loss,"
        "test_loss,train_accuracy,test_accuracy (accuracies empty for regression). JSON adds "
        "the data set, the model and each run's last weights. The learning rate's decay and "
        "schedule step once per update (minibatch).",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    train.error = parser.error  # type: ignore[method-assign]
    train.add_argument("data", metavar="DATA", choices=list(training.MAKERS),
                       help="a data set: " + ", ".join(training.MAKERS))
    train.add_argument("--model", default="mlp:16,16",
                       help="linear (logistic regression for a classification set), or "
                       f"mlp:W1,W2,... (up to {training.models.MAX_LAYERS} hidden layers, at "
                       f"most {training.models.MAX_WEIGHTS:,} weights; default: mlp:16,16)")
    train.add_argument("--activation", choices=training.models.ACTIVATIONS, default="tanh",
                       help="the hidden layers' activation (default: tanh)")
    train.add_argument("--optimizer", action="append", required=True,
                       metavar="NAME[:key=value,...]",
                       help="an optimizer and its settings, as for run; repeat for several")
    train.add_argument("--epochs", type=int, default=100, help="epochs (default: 100)")
    train.add_argument("--batch", type=int,
                       help="rows per minibatch (default: all of them, the full batch)")
    train.add_argument("--size", type=int, help="rows of data (default: the set's own)")
    train.add_argument("--noise", type=float, help="the data's noise (default: the set's own)")
    train.add_argument("--test", type=float, default=0.25,
                       help="the share of rows held out (default: 0.25)")
    train.add_argument("--seed", type=int, default=0,
                       help="seed of the data and of the minibatches' order (default: 0)")
    train.add_argument("--init-seed", type=int, default=0,
                       help="seed of the starting weights (default: 0)")
    train.add_argument("--format", choices=("json", "csv"), default="json",
                       help="output format (default: json)")
    train.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout")
    animate = sub.add_parser(
        "animate", help="write the race as a video (MP4, WebM) or a GIF",
        description="Run optimizers from one start and write the race as the app draws it "
        "(the map with the paths, the cost chart, the legend and the epoch) to an .mp4 "
        "(H.264: plays in PowerPoint and Keynote), .webm or .gif, with a progress bar on "
        "stderr. Needs: pip install -r requirements-notebook.txt.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    animate.error = parser.error  # type: ignore[method-assign]
    animate.add_argument("landscape", metavar="LANDSCAPE",
                         help="a landscape name (see `list`), or formula:X0,X1,Y0,Y1:F")
    animate.add_argument("--start", nargs=2, type=float, metavar=("X", "Y"),
                         help="starting point (default: the landscape's own start)")
    animate.add_argument("--steps", type=int, default=1000, help="epochs per run (default: 1000)")
    animate.add_argument("--optimizer", action="append", required=True,
                         metavar="NAME[:key=value,...]",
                         help="an optimizer and its settings; repeat for several runs")
    animate.add_argument("--output", required=True, metavar="FILE",
                         help="the file to write: .mp4, .webm or .gif")
    animate.add_argument("--fps", type=int, default=30, help="frames a second (default: 30)")
    animate.add_argument("--seconds", type=float, default=8.0,
                         help="length (default: 8; one frame per epoch when fewer)")
    animate.add_argument("--size", default="1280x720", metavar="WxH",
                         help="frame size in pixels (default: 1280x720)")
    animate.add_argument("--quiet", action="store_true", help="no progress bar")
    lst = sub.add_parser("list", help="list landscapes and optimizers",
                         description="List landscapes and optimizers with their hyperparameters.")
    lst.error = parser.error  # type: ignore[method-assign]
    lst.add_argument("--format", choices=("text", "json"), default="text")
    return parser


def listing() -> dict[str, Any]:
    """Landscapes and optimizers, as ``list --format json`` prints them."""
    return {
        "landscapes": [
            {
                "name": ls.name,
                "title": ls.title,
                "domain": [list(ls.domain[0]), list(ls.domain[1])],
                "start": list(ls.start),
                "minima": [{"index": f"min{i}", "point": list(m.point), "value": m.value,
                            "kind": m.kind} for i, m in enumerate(ls.minima)],
                "lesson": ls.lesson,
            }
            for ls in landscapes.all_landscapes()
        ],
        "optimizers": [
            {"name": info.name, "title": info.title, "torch": info.torch,
             "params": {"lr": info.lr, "decay": 0.0, **info.defaults()}}
            for info in optimizers.OPTIMIZERS.values()
        ],
        "schedules": {
            name: {"warmup": 0, **{k: p.default for k, p in params.items()}}
            for name, params in schedules.SCHEDULES.items()
        },
    }


def _print_listing(fmt: str) -> str:
    data = listing()
    if fmt == "json":
        return json.dumps(data, indent=2) + "\n"
    lines = ["Landscapes:"]
    for ls in data["landscapes"]:
        (x0, x1), (y0, y1) = ls["domain"]
        lines.append(f"  {ls['name']:<22} {ls['title']}  [{x0:g}, {x1:g}] x [{y0:g}, {y1:g}]")
        for i, m in enumerate(ls["minima"]):
            lines.append(f"    min{i}: {m['kind']} minimum at ({m['point'][0]:.6g}, "
                         f"{m['point'][1]:.6g}), f = {m['value']:.6g}")
    lines += ["", "Optimizers (every one also takes lr and decay):"]
    for opt in data["optimizers"]:
        params = ", ".join(f"{k}={v:g}" for k, v in opt["params"].items())
        lines.append(f"  {opt['name']:<10} {params}   ({opt['torch']})")
    lines += ["", "Schedules (schedule=NAME, on top of decay):"]
    for name, params in data["schedules"].items():
        shown = ", ".join(f"{k}={'auto' if v is None else f'{v:g}'}" for k, v in params.items())
        lines.append(f"  {name:<12} {shown}")
    return "\n".join(lines) + "\n"


def _table(columns: Sequence[str], rows: list[dict], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(rows) + "\n"
    return export.table_csv(columns, rows)


def _many(args: argparse.Namespace) -> str:
    """``basins`` or ``sweep``: the table of every run."""
    landscape = landscapes.get(args.landscape)
    specs = [engine.parse_spec(text) for text in args.optimizer]
    if args.command == "basins":
        bm = many.basins(landscape, specs, args.steps, args.grid)
        return _table(export.BASINS_COLUMNS, export.basins_rows(bm), args.format)
    lo, hi, n = many.parse_lrs_range(args.lrs)
    start = args.start if args.start is not None else landscape.start
    sw = many.sweep(landscape, specs, start, many.log_lrs(lo, hi, n), args.steps)
    return _table(export.SWEEP_COLUMNS, export.sweep_rows(sw), args.format)


def _train(args: argparse.Namespace) -> str:
    """``train``: every optimizer's epochs, as CSV or JSON."""
    data = training.load(args.data, size=args.size, noise=args.noise, seed=args.seed,
                         test=args.test)
    model = training.parse_model(args.model, data.features, data.outputs, args.activation)
    specs = [engine.parse_spec(text) for text in args.optimizer]
    tr = training.train(data, model, specs, args.epochs, batch=args.batch, seed=args.seed,
                        init_seed=args.init_seed, record_weights=False)
    if args.format == "json":
        return json.dumps(export.training_to_json(tr)) + "\n"
    return export.table_csv(export.TRAINING_COLUMNS, export.training_rows(tr))


def _size(text: str) -> tuple[int, int]:
    """``"1280x720"`` as (width, height)."""
    try:
        w, h = str(text).lower().split("x")
        return int(w), int(h)
    except ValueError:
        raise FieldError("size", f"give WIDTHxHEIGHT in pixels, e.g. 1280x720 (got {text!r})") from None


def _animate(args: argparse.Namespace) -> str:
    from visualizer import notebook, video

    video.check(args.output, args.fps, args.seconds, _size(args.size))  # before the runs
    race = notebook.race(args.landscape, args.optimizer, start=args.start, epochs=args.steps)
    path = race.animate(args.output, fps=args.fps, seconds=args.seconds, size=_size(args.size),
                        progress=not args.quiet)
    return f"wrote {path}\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0, or 2 for bad input)."""
    try:
        args = _build_parser().parse_args(argv)
        if args.command == "list":
            text = _print_listing(args.format)
        elif args.command in ("basins", "sweep"):
            text = _many(args)
        elif args.command == "train":
            text = _train(args)
        elif args.command == "animate":
            sys.stderr.write(_animate(args))
            return 0
        else:
            landscape = landscapes.get(args.landscape)
            specs = [engine.parse_spec(text) for text in args.optimizer]
            start = args.start if args.start is not None else landscape.start
            result = engine.run(
                landscape, specs, start, args.steps, noise=args.noise, seed=args.seed,
                record_state=False,
            )
            if args.format == "json":
                text = json.dumps(export.result_to_json(result, start)) + "\n"
            else:
                text = export.result_to_csv(result)
        if getattr(args, "output", None):
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(text)
        else:
            sys.stdout.write(text)
    except (UsageError, ValueError, KeyError, OSError, RuntimeError) as exc:
        message = exc.strerror + f": {exc.filename}" if isinstance(exc, OSError) else str(exc)
        print(f"python -m visualizer: error: {message}", file=sys.stderr)
        return 2
    return 0
