"""A race as a video or a GIF: what the notebook API's ``Race.animate`` and
``python -m visualizer animate`` write.

Each frame is drawn with matplotlib (no pyplot, so a notebook's backend is left
alone) in the app's look: its contour colours and levels (powers of two of
f − f_min), its optimizer colours, the minima as stars, the red start dot, the
cost chart beside the map, the legend, and the epoch in the title. Every frame
is written (none dropped, whatever the machine). MP4 (H.264, yuv420p: plays in
PowerPoint and Keynote) and WebM go through imageio-ffmpeg's ffmpeg; GIF through
Pillow. Both libraries are optional (``requirements-notebook.txt``).
"""

from __future__ import annotations

import pathlib
import sys
from typing import TYPE_CHECKING

import numpy as np

from visualizer.engine.fields import FieldError, Range
from visualizer.ui import figures

if TYPE_CHECKING:
    from visualizer.notebook import Race

FORMATS = {".mp4": "MP4 (H.264)", ".webm": "WebM (VP9)", ".gif": "GIF"}
FPS = Range(1, 60, whole=True)
SECONDS = Range(0.5, 600)
SIDE = Range(160, 3840, whole=True)
MAX_FRAMES = 6000
"""The most frames one file takes (at 30 a second, over three minutes)."""
DPI = 100
INSTALL = "pip install -r requirements-notebook.txt"


def _writer(suffix: str, fps: int):
    """matplotlib's writer for the file's format, and the rc settings it needs."""
    try:
        from matplotlib import animation
    except ImportError:
        raise RuntimeError(f"animations need matplotlib: {INSTALL}") from None
    if suffix == ".gif":
        return animation.PillowWriter(fps=fps), {}
    try:
        import imageio_ffmpeg
    except ImportError:
        raise RuntimeError(f"MP4 and WebM need imageio-ffmpeg (it carries ffmpeg): {INSTALL}; "
                           "or write a .gif") from None
    rc = {"animation.ffmpeg_path": imageio_ffmpeg.get_ffmpeg_exe()}
    if suffix == ".mp4":
        args = ["-pix_fmt", "yuv420p", "-preset", "veryfast", "-crf", "20", "-movflags", "+faststart"]
        return animation.FFMpegWriter(fps=fps, codec="libx264", extra_args=args), rc
    args = ["-pix_fmt", "yuv420p", "-b:v", "0", "-crf", "34", "-deadline", "realtime", "-cpu-used", "8"]
    return animation.FFMpegWriter(fps=fps, codec="libvpx-vp9", extra_args=args), rc


def check(path: str | pathlib.Path, fps: int, seconds: float,
          size: tuple[int, int]) -> tuple[pathlib.Path, int, float, tuple[int, int]]:
    """The file's name and the settings, checked: FieldError naming the bad one."""
    path = pathlib.Path(path)
    if path.suffix.lower() not in FORMATS:
        raise FieldError("file", f"end its name in {', '.join(FORMATS)} (got {path.name!r})")
    fps = int(FPS.check("frames a second", fps))
    seconds = SECONDS.check("seconds", seconds)
    if not isinstance(size, (tuple, list)) or len(size) != 2:
        raise FieldError("size", f"give width and height in pixels (got {size!r})")
    w, h = (int(SIDE.check("size", v)) for v in size)
    return path, fps, seconds, (w - w % 2, h - h % 2)  # H.264's yuv420p wants even sides


class _Bar:
    """A progress bar on stderr: ``race.mp4 ▕██████····▏ 60 % (144/240 frames)``."""

    def __init__(self, name: str, total: int, shown: bool):
        self.name, self.total, self.shown, self.percent = name, total, shown, -1

    def __call__(self, done: int) -> None:
        percent = 100 * done // self.total
        if not self.shown or percent == self.percent:  # at most 101 writes, whatever the frames
            return
        self.percent = percent
        filled = round(24 * done / self.total)
        sys.stderr.write(f"\r{self.name} ▕{'█' * filled}{'·' * (24 - filled)}▏ "
                         f"{percent:3d} % ({done}/{self.total} frames)")
        if done == self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def write(race: Race, path: str | pathlib.Path, *, fps: int = 30, seconds: float = 8.0,
          size: tuple[int, int] = (1280, 720), progress: bool = True,
          log: bool | None = None) -> pathlib.Path:
    """Write ``race`` to ``path`` (.mp4, .webm or .gif); see :meth:`Race.animate`.
    ``log``: the cost chart on a log scale of f − f_min (default: when the landscape
    lists its minimum). Returns the path."""
    path, fps, seconds, (w, h) = check(path, fps, seconds, size)
    writer, rc = _writer(path.suffix.lower(), fps)
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    ls = race.landscape
    n_frames = min(MAX_FRAMES, max(2, round(fps * seconds)))
    epochs = race.frame_epochs(n_frames)
    log = ls.f_min is not None if log is None else log
    ref = ls.f_min or 0.0

    fig = Figure(figsize=(w / DPI, h / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    scale = h / 720  # type and lines grow with the frame
    grid = fig.add_gridspec(1, 2, width_ratios=[1.15, 1], left=0.06, right=0.98, bottom=0.16,
                            top=0.9, wspace=0.16)
    ax, cost = fig.add_subplot(grid[0]), fig.add_subplot(grid[1])

    # The map: the contour's bands and lines as one picture (figures.banded, the notebook
    # figure's too), drawn as an image each frame: drawing the contour's paths every frame
    # took about twice as long overall (measured: 20.5 s against 11-14 s for 120 frames).
    (x0, x1), (y0, y1) = ls.domain
    ax.imshow(figures.banded(ls.name, figures.PICTURE, True), extent=(x0, x1, y0, y1), origin="upper",
              interpolation="bilinear", zorder=0)
    ax.set(xlim=(x0, x1), ylim=(y0, y1), xlabel="x", ylabel="y", aspect="equal")
    for m in ls.minima:
        ax.plot(*m.point, marker="*", markersize=figures.MINIMUM_SIZE[m.kind] * scale,
                color=figures.MINIMUM_COLOR[m.kind], markeredgecolor=figures.MINIMUM_EDGE,
                markeredgewidth=0.8, zorder=4)
    ax.plot(*race.start, "o", color=figures.START_COLOR, markersize=11 * scale,
            markeredgecolor="white", markeredgewidth=2 * scale, zorder=6, label="start")

    dashes = {"solid": "-", "dash": "--", "dot": ":", "dashdot": "-.", "longdash": (0, (8, 3))}
    from visualizer.notebook import line_styles  # one rule for telling an optimizer's runs apart

    runs = []
    for i, (label, spec, style) in enumerate(zip(race.labels, race.specs, line_styles(race.specs),
                                                 strict=True)):
        color = figures.COLORS[spec.optimizer]
        pts, losses = race.path(i)
        y = np.maximum(losses - ref, 1e-16) if log else losses
        line, = ax.plot([], [], color=color, linewidth=2.4 * scale, linestyle=dashes[style],
                        label=label, zorder=5)
        head, = ax.plot([], [], "o", color=color, markersize=8 * scale, markeredgecolor="white",
                        markeredgewidth=1.2 * scale, zorder=7)
        curve, = cost.plot([], [], color=color, linewidth=2 * scale, linestyle=dashes[style])
        runs.append((pts, y, line, head, curve))

    finite = np.concatenate([r[1][np.isfinite(r[1])] for r in runs]) if runs else np.array([1.0])
    cost.set_xlim(0, race.epochs)
    if log:
        cost.set_yscale("log")
        cost.set_ylim(max(finite.min(), 1e-16) / 2, finite.max() * 2)
        cost.set_ylabel("cost f − f_min (log)")
    else:
        pad = 0.05 * (finite.max() - finite.min() or 1.0)
        cost.set_ylim(finite.min() - pad, finite.max() + pad)
        cost.set_ylabel("cost f(x, y)")
    cost.set_xlabel("epoch")
    cost.grid(color="#e5e7eb", linewidth=0.8)
    cost.set_title("Cost per epoch", fontsize=12 * scale, loc="left")
    for axis in (ax, cost):
        axis.tick_params(labelsize=10 * scale)
        axis.xaxis.label.set_size(11 * scale)
        axis.yaxis.label.set_size(11 * scale)
    fig.legend(*ax.get_legend_handles_labels(), loc="lower center", ncol=min(6, len(runs) + 1),
               frameon=False, fontsize=11 * scale, bbox_to_anchor=(0.5, 0.01))
    title = fig.suptitle("", fontsize=15 * scale, x=0.06, ha="left")

    bar = _Bar(path.name, len(epochs), progress)
    path.parent.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context(rc), writer.saving(fig, str(path), dpi=DPI):
        for done, e in enumerate(epochs, start=1):
            for pts, y, line, head, curve in runs:
                k = min(int(e), len(pts) - 1)
                line.set_data(pts[:k + 1, 0], pts[:k + 1, 1])
                head.set_data(pts[k:k + 1, 0], pts[k:k + 1, 1])
                curve.set_data(np.arange(k + 1), y[:k + 1])
            title.set_text(f"{ls.title}: epoch {int(e):,} / {race.epochs:,}")
            writer.grab_frame(facecolor="white")
            bar(done)
    return path
