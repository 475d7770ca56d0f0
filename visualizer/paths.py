"""Where the project keeps what it computes once: the compiled kernels, the
shared results, the background jobs' folder."""

from __future__ import annotations

import os
import pathlib
import tempfile


def cache_root() -> pathlib.Path:
    """The project's cache folder (created on first use); each user of it takes a subfolder."""
    env = os.environ.get("VISUALIZER_CACHE_DIR")
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    candidates = [env] if env else [os.path.join(xdg, "optimizer-visualizer")]
    candidates.append(os.path.join(tempfile.gettempdir(), f"optimizer-visualizer-{os.getuid()}"))
    for folder in candidates:
        path = pathlib.Path(folder)
        try:
            path.mkdir(parents=True, exist_ok=True)
            if os.access(path, os.W_OK):
                return path
        except OSError:
            continue
    raise OSError(f"no writable cache folder among {candidates}")
