"""Files written so that nothing is ever seen half-written."""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["replace_dir", "write_atomic", "write_csv"]


def write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    """Write a CSV file atomically (a temporary file renamed over the old one)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    write_atomic(path, buffer.getvalue())
    return path


def write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def replace_dir(src: Path, dest: Path) -> None:
    """Move ``src`` to ``dest``, replacing it; ``dest`` is never seen half-written."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    incoming = dest.with_name(f".{dest.name}.new-{os.getpid()}")
    outgoing = dest.with_name(f".{dest.name}.old-{os.getpid()}")
    shutil.rmtree(incoming, ignore_errors=True)
    shutil.move(str(src), str(incoming))
    if dest.exists():
        os.replace(dest, outgoing)
    os.replace(incoming, dest)
    shutil.rmtree(outgoing, ignore_errors=True)
