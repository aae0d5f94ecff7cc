"""Output folders that are never lost: claimed by a marker, written aside, finished last.

Every folder a command writes (a run, an experiment) holds a marker file, :data:`MARKER`, that
says which command wrote it and whether it is complete. A command writes only into a new or empty
folder, or into one whose marker says it wrote it; it replaces one of its own finished folders
only with ``--force``, and never touches a folder it did not write. A folder whose marker says
``incomplete`` (an interrupted run) is refused by every reader. File-system faults (a read-only
folder, a full disk, a path under a file) become one-line :class:`sim.errors.InputError`
messages naming the folder.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sim.errors import InputError, fail

MARKER = ".sim-output.json"
TOOL = "jk-dispute-sim"
COMPLETE, INCOMPLETE = "complete", "incomplete"
PARTIAL_SUFFIX = ".partial"
# the command that writes each kind of folder, where it is not `sim <kind>`
COMMAND_OF_KIND = {"calibration": "history --calibrate"}


def read_marker(folder: Path) -> dict | None:
    """The marker of a folder this tool wrote, or None (no marker, or not ours)."""
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("tool") == TOOL else None


def write_marker(folder: Path, kind: str, status: str) -> None:
    """Write the marker atomically (a temporary file renamed over it)."""
    text = json.dumps({"tool": TOOL, "kind": kind, "status": status}, indent=1) + "\n"
    tmp = folder / f"{MARKER}.tmp"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, folder / MARKER)


def is_incomplete(folder: Path) -> bool:
    marker = read_marker(folder)
    return marker is not None and marker.get("status") == INCOMPLETE


def check_complete(folder: Path) -> None:
    """Refuse a folder an interrupted command left behind."""
    if is_incomplete(folder):
        raise fail(str(folder), f"an interrupted command left this folder incomplete ({MARKER} "
                                "says so): run the command again")


def claim(out: Path, kind: str, force: bool, resume: bool = False) -> None:
    """Check that ``out`` may be written by a command of this ``kind``: new, empty, or ours
    with ``force`` (to replace it) or ``resume`` (to finish it). Raise a one-line InputError
    otherwise; nothing is removed here."""
    with os_errors(out):
        if out.exists() and not out.is_dir():
            raise fail(str(out), "--out is a file, not a folder; choose another --out")
        if not out.exists() or not any(out.iterdir()):
            return
        marker = read_marker(out)
        if marker is None or marker.get("kind") != kind:
            command = COMMAND_OF_KIND.get(kind, kind)
            raise fail(str(out), f"--out exists and was not written by `sim {command}`: "
                                 "nothing in it is touched; choose another --out")
        if resume:
            return
        if not force:
            hint = " or --resume to finish it" if kind == "experiment" else ""
            raise fail(str(out), f"--out already holds a {kind}: pass --force to replace it"
                                 f"{hint}, or choose another --out")


def remove_own(out: Path) -> None:
    """Remove a folder this tool wrote (claimed with ``--force``); anything else is kept."""
    if read_marker(out) is not None:
        with os_errors(out):
            shutil.rmtree(out)


def start(out: Path, kind: str) -> None:
    """Create ``out`` (if needed) and mark it ours and incomplete."""
    with os_errors(out):
        out.mkdir(parents=True, exist_ok=True)
        if read_marker(out) is None:
            write_marker(out, kind, INCOMPLETE)


def finish(out: Path, kind: str) -> None:
    with os_errors(out):
        write_marker(out, kind, COMPLETE)


def staging_folder(out: Path, kind: str) -> Path:
    """A fresh ``<out>.partial`` beside ``out``, marked incomplete; an earlier one of ours (an
    interrupted run) is replaced, anything else there is refused."""
    staging = out.with_name(out.name + PARTIAL_SUFFIX)
    with os_errors(staging):
        if staging.exists():
            if read_marker(staging) is None:
                raise fail(str(staging), "exists and was not written by this tool; remove it "
                                         "or choose another --out")
            shutil.rmtree(staging)
    start(staging, kind)
    return staging


def publish(staging: Path, out: Path, kind: str) -> None:
    """Move a finished staging folder into place, replacing a folder of ours (claimed with
    ``--force``), and mark it complete only once it is there."""
    with os_errors(out):
        old = None
        if out.exists():
            old = out.with_name(f".{out.name}.replaced-{os.getpid()}")
            out.rename(old)
        staging.rename(out)
        write_marker(out, kind, COMPLETE)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EEXIST: "a file is in the way",
    errno.EISDIR: "a folder is in the way",
    errno.ENAMETOOLONG: "the name is too long",
}


@contextmanager
def os_errors(folder: Path) -> Iterator[None]:
    """Turn a file-system error while writing ``folder`` into a one-line InputError."""
    try:
        yield
    except InputError:
        raise
    except OSError as err:
        reason = REASONS.get(err.errno or 0, err.strerror or str(err))
        where = err.filename or folder
        raise fail(str(where), f"cannot write the output folder {folder}: {reason}") from None
