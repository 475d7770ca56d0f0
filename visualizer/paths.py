"""Where the project keeps what it computes once: the compiled kernels, the
shared results, the background jobs' folder, and the server's secret.

A class's server trusts what it reads back from these folders (compiled code,
stored results), so a folder someone else could write to is refused: it must be
owned by the user running the app and not writable by its group or by others.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pathlib
import secrets
import stat
import tempfile


class UnsafeFolder(OSError):
    """A cache folder that another user owns or may write to."""


def check_private(path: pathlib.Path) -> pathlib.Path:
    """``path`` if it is a folder this user owns that nobody else may write to,
    else :class:`UnsafeFolder` saying what is wrong and what to do."""
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise UnsafeFolder(f"the cache folder {path} is not a plain folder (a link or a file)")
    if info.st_uid != os.getuid():
        raise UnsafeFolder(f"the cache folder {path} belongs to another user (uid {info.st_uid}); "
                           "set VISUALIZER_CACHE_DIR to a folder of your own")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise UnsafeFolder(f"the cache folder {path} may be written by other users "
                           f"(mode {stat.S_IMODE(info.st_mode):o}); run chmod go-w on it")
    return path


def cache_root() -> pathlib.Path:
    """The project's cache folder, created (mode 700) on first use:
    ``$VISUALIZER_CACHE_DIR``, else ``$XDG_CACHE_HOME/optimizer-visualizer`` (or
    ``~/.cache/...``), else a folder of this user's in the system's temporary
    directory. A folder another user owns or may write to is passed over (and one
    named by ``VISUALIZER_CACHE_DIR`` is refused: :class:`UnsafeFolder`)."""
    env = os.environ.get("VISUALIZER_CACHE_DIR")
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    candidates = [env] if env else [os.path.join(xdg, "optimizer-visualizer")]
    candidates.append(os.path.join(tempfile.gettempdir(), f"optimizer-visualizer-{os.getuid()}"))
    refused = []
    for i, folder in enumerate(candidates):
        path = pathlib.Path(folder)
        try:
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
            check_private(path)
            if os.access(path, os.W_OK):
                return path
            refused.append(f"{path} is not writable")
        except UnsafeFolder as exc:
            if env and i == 0:
                raise
            refused.append(str(exc))
        except OSError as exc:
            refused.append(f"{path}: {exc.strerror or exc}")
    raise OSError("no usable cache folder: " + "; ".join(refused))


def secret() -> bytes:
    """The server's secret, which signs what goes into the shared stores:
    ``$VISUALIZER_SECRET`` (every app server of a class sharing one Redis sets the
    same), else a random one kept in the cache folder (mode 600), made on first use."""
    env = os.environ.get("VISUALIZER_SECRET")
    if env:
        return hashlib.sha256(env.encode()).digest()
    path = cache_root() / "secret"
    if not os.path.lexists(path):
        # written whole under another name, then linked into place: a process that
        # starts at the same moment sees no file or the whole one, never a part
        fd, part = tempfile.mkstemp(dir=path.parent, prefix=".secret-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_bytes(32))
            with contextlib.suppress(FileExistsError):  # another process was first: theirs
                os.link(part, path)
        finally:
            os.unlink(part)
    info = path.lstat()
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise UnsafeFolder(f"{path} must be a file of this user's that only it may read (chmod 600)")
    data = path.read_bytes()
    if len(data) < 32:  # cut short (a crash of an older version, which wrote in place): anew
        path.unlink(missing_ok=True)
        return secret()
    return data
